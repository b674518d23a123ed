# SPDX-License-Identifier: Apache-2.0
# The source rules (layering, banned calls, SPDX headers) hold.
. "$FL_ROOT/tests/lib.sh"
check layering_and_banned_calls bash "$FL_ROOT/tools/checksrc.sh"
