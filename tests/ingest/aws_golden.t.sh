# SPDX-License-Identifier: Apache-2.0
# aws_golden.t.sh - every AWS fixture (tests/data/ingest/aws/manifest.txt)
# parses to its hand-checked expected NDJSON, compared field by field with
# tests/tools/ndjson_cmp.mjs, and its --stats counts (records read, parsed,
# rejected, headers, blank lines) are the ones the manifest states.
. "$FL_ROOT/tests/lib.sh"
D=$FL_ROOT/tests/data/ingest/aws
cd "$D" || exit 1
while IFS='|' read -r f fmt counts; do
  case "$f" in ''|'#'*) continue ;; esac
  args=()
  [ "$fmt" != "-" ] && args=(--aws-format "$fmt")
  "$FL" cat "$f" "${args[@]}" --stats >"$FL_TMP/$f.out" 2>"$FL_TMP/$f.stats"
  rc=$?
  check_eq "$f/exit" "$rc" 0
  if node "$FL_ROOT/tests/tools/ndjson_cmp.mjs" "$f.expected.ndjson" "$FL_TMP/$f.out" >"$FL_TMP/$f.diff" 2>&1; then
    pass "$f/records"
  else
    fail "$f/records" "$(head -5 "$FL_TMP/$f.diff" | tr '\n' ' ')"
  fi
  st=$(grep '^input ' "$FL_TMP/$f.stats" | tr ' ' '\n')
  got="$(echo "$st" | sed -n 's/^records_read=//p') $(echo "$st" | sed -n 's/^records_parsed=//p') $(echo "$st" | sed -n 's/^records_rejected=//p') $(echo "$st" | sed -n 's/^headers=//p') $(echo "$st" | sed -n 's/^blank=//p')"
  check_eq "$f/stats" "$got" "$counts"
done < manifest.txt

# The two annotated fixtures: the "# ..." lines are field_count rejects,
# sampled with file:line.
"$FL" cat aws_docs_flow-log-record-examples.nat-6field.log --aws-format \
  'instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr' --stats >/dev/null 2>"$FL_TMP/nat.stats"
check nat-samples grep -q 'nat-6field.log:5: field_count: i-01234567890123456 .*#Traffic' "$FL_TMP/nat.stats"
check nat-reason grep -q 'rejected.field_count=2' "$FL_TMP/nat.stats"
"$FL" cat aws_blog_vpc-encryption-controls.v10-custom-with-header.log --stats >/dev/null 2>"$FL_TMP/blog.stats"
check blog-samples grep -q 'custom-with-header.log:6: field_count: ingress - 10.0.130.104' "$FL_TMP/blog.stats"
# The whole payload set in one run: totals add up.
"$FL" cat cwl_control_concat.json.gz --stats >/dev/null 2>"$FL_TMP/cwl.stats"
check cwl-control-skipped grep -q 'skipped_messages=1' "$FL_TMP/cwl.stats"
check cwl-nodata grep -q 'nodata=1' "$FL_TMP/cwl.stats"
# The comparator itself must catch a difference (a test that cannot fail is a defect).
printf '{"a":9223372036854775807,"b":"x"}\n' >"$FL_TMP/e.ndjson"
printf '{"a":9223372036854775806,"b":"x"}\n' >"$FL_TMP/a1.ndjson"
printf '{"a":9223372036854775807,"b":"x","c":1}\n' >"$FL_TMP/a2.ndjson"
printf '{"a":9223372036854775807,"b":"x","c":null}\n' >"$FL_TMP/a3.ndjson"
if node "$FL_ROOT/tests/tools/ndjson_cmp.mjs" "$FL_TMP/e.ndjson" "$FL_TMP/a1.ndjson" >/dev/null; then fail cmp-int64 "equal?"; else pass cmp-int64; fi
if node "$FL_ROOT/tests/tools/ndjson_cmp.mjs" "$FL_TMP/e.ndjson" "$FL_TMP/a2.ndjson" >/dev/null; then fail cmp-extra-key "equal?"; else pass cmp-extra-key; fi
check cmp-null-ok node "$FL_ROOT/tests/tools/ndjson_cmp.mjs" "$FL_TMP/e.ndjson" "$FL_TMP/a3.ndjson"
