# SPDX-License-Identifier: Apache-2.0
# A short, reproducible smoke of every fuzz target: a fixed seed and a fixed
# number of inputs over the kept corpus (tests/fuzz/corpus/), with a time
# bound as a safety net.  `make fuzz` explores at random for longer.
. "$FL_ROOT/tests/lib.sh"
FL_FUZZ_RUNS=${FL_FUZZ_SMOKE_RUNS:-20000} FL_FUZZ_SEED=${FL_FUZZ_SMOKE_SEED:-1} \
  bash "$FL_ROOT/tests/fuzz/run.sh" "${FL_FUZZ_SMOKE_SECONDS:-120}"
