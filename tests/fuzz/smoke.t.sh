# SPDX-License-Identifier: Apache-2.0
# A short smoke of every fuzz target (make fuzz runs them for longer).
. "$FL_ROOT/tests/lib.sh"
bash "$FL_ROOT/tests/fuzz/run.sh" "${FL_FUZZ_SMOKE_SECONDS:-20}"
