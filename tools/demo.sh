#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# demo.sh BUILD - the main job end to end on generated data.
set -euo pipefail
cd "$(dirname "$0")/.."
FL=${1:-build}/flowsift
"$FL" --help
