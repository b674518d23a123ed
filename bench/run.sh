#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run.sh BUILD - flowsift's benchmarks.
set -euo pipefail
echo "no benchmarks yet"
