# SPDX-License-Identifier: Apache-2.0
# The shipped rule pack: `rules check` accepts it, `rules test` runs every
# rule's own test cases (each printed as PASS/FAIL pack/<rule>/<case>), and
# every rule has at least one case; bad rule files (tests/data/detect/bad)
# fail with the exact file:line:col message in their .err file and nothing
# runs.
. "$FL_ROOT/tests/lib.sh"
cd "$FL_ROOT"
out=$("$FL" rules check rules 2>&1); rc=$?
check_eq check-pack "$rc:$(echo "$out" | grep -c ' rules OK')" "0:1"
# every rule ships tests
"$FL" rules list rules >"$FL_TMP/list" 2>&1
untested=$(awk 'NR > 1 && $5 == 0 {print $1}' "$FL_TMP/list")
check_eq every-rule-has-tests "$untested" ""
n=$(awk 'NR > 1' "$FL_TMP/list" | wc -l)
[ "$n" -ge 16 ] && pass "pack-size-$n" || fail pack-size "only $n rules"
TMPDIR="$FL_TMP" "$FL" rules test rules >"$FL_TMP/test.out" 2>&1; rc=$?
sed -n 's/^PASS /PASS pack\//p; s/^FAIL /FAIL pack\//p' "$FL_TMP/test.out"
check_eq rules-test-exit "$rc" 0
# a failing expectation is reported as a failure (the runner can fail)
cat > "$FL_TMP/wrong.yaml" <<'Y'
id: wrong-expect
title: expects a finding that cannot happen
severity: low
entity: [srcaddr]
window: 1h
sql: SELECT srcaddr, COUNT(*) AS hit_count FROM flows WHERE start >= :window_start AND start < :window_end GROUP BY 1
tests:
  - flows: |
      srcaddr  dstaddr  start
      10.0.0.1 10.0.0.2 1714521600
    expect:
      - {srcaddr: 10.0.0.9}
Y
TMPDIR="$FL_TMP" "$FL" rules test "$FL_TMP/wrong.yaml" >"$FL_TMP/wrong.out" 2>&1; rc=$?
check_eq wrong-expectation-fails "$rc:$(grep -c '^FAIL wrong-expect/case1: expected finding #1' "$FL_TMP/wrong.out")" "1:1"
# bad rule files
cd tests/data/detect/bad
for f in *.yaml; do
  n=${f%.yaml}
  got=$("$FL" rules check "$f" 2>&1 | head -1); rc=$?
  check_eq "bad-$n" "$got" "$(cat "$n.err")"
  "$FL" rules check "$f" >/dev/null 2>&1
  check_eq "bad-$n-exit" "$?" 2
done
# all errors of a folder are reported, not only the first
cnt=$("$FL" rules check . 2>&1 | grep -c '\.yaml:[0-9]*:[0-9]*: ')
check_eq bad-folder-all-errors "$cnt" "$(ls *.err | wc -l)"
# detect refuses to run with a broken rule folder
HOME_D="$FL_TMP/h"; mkdir -p "$HOME_D"
FLOWSIFT_HOME="$HOME_D" "$FL" detect --rules . --from 0 --to 3600 >/dev/null 2>&1
check_eq detect-refuses-bad-rules "$?" 2
