# SPDX-License-Identifier: Apache-2.0
# lib.sh - helpers for the shell test files (tests/*/*.t.sh).  Each check
# prints "PASS name" or "FAIL name: why"; tests/run.sh counts those lines.
# Environment from run.sh: FL (the flowsift binary), FL_ROOT (repo),
# FL_BUILD (build dir), FL_TMP (a fresh scratch dir for this file).
pass() { echo "PASS $T/$1"; }
fail() { echo "FAIL $T/$1: ${2:-}"; }
# check NAME CMD... : PASS if the command succeeds
check() { local n=$1; shift; if "$@" >"$FL_TMP/.out" 2>&1; then pass "$n"; else fail "$n" "$(head -c 600 "$FL_TMP/.out" | tr '\n' ' ')"; fi; }
# check_eq NAME ACTUAL EXPECTED
check_eq() { if [ "$2" == "$3" ]; then pass "$1"; else fail "$1" "got [$2] want [$3]"; fi; }
# check_file_eq NAME ACTUAL_FILE EXPECTED_FILE
check_file_eq() { if diff -u "$3" "$2" >"$FL_TMP/.diff" 2>&1; then pass "$1"; else fail "$1" "$(head -c 1500 "$FL_TMP/.diff" | tr '\n' '|')"; fi; }
T=$(basename "${BASH_SOURCE[1]:-$0}" .t.sh)
