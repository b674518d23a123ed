# SPDX-License-Identifier: Apache-2.0
# cloud_golden.t.sh - every Azure and GCP fixture (tests/data/ingest/{azure,gcp}/
# manifest.txt) parses to its hand-checked expected NDJSON, compared field by
# field with tests/tools/ndjson_cmp.mjs, with the --stats counts the manifest
# states (records read/parsed/rejected; Azure flows (B) / updates (C/E) /
# denies; GCP skipped non-flow entries) and the sniffed format.
. "$FL_ROOT/tests/lib.sh"
stat_of() { grep '^input ' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
golden() { # dir kind
  cd "$FL_ROOT/tests/data/ingest/$1" || exit 1
  while IFS='|' read -r f fmt counts more want_fmt; do
    case "$f" in ''|'#'*) continue ;; esac
    args=()
    [ "$fmt" != "-" ] && args=(--input-format "$fmt")
    "$FL" cat "$f" "${args[@]}" --stats >"$FL_TMP/$f.out" 2>"$FL_TMP/$f.stats"
    check_eq "$f/exit" "$?" 0
    if node "$FL_ROOT/tests/tools/ndjson_cmp.mjs" "$f.expected.ndjson" "$FL_TMP/$f.out" >"$FL_TMP/$f.diff" 2>&1; then
      pass "$f/records"
    else
      fail "$f/records" "$(head -5 "$FL_TMP/$f.diff" | tr '\n' ' ')"
    fi
    s=$FL_TMP/$f.stats
    check_eq "$f/counts" "$(stat_of "$s" records_read) $(stat_of "$s" records_parsed) $(stat_of "$s" records_rejected)" "$counts"
    if [ "$2" = azure ]; then
      check_eq "$f/azure-stats" "$(stat_of "$s" flows) $(stat_of "$s" updates) $(stat_of "$s" denies)" "$more"
    else
      check_eq "$f/skipped" "$(stat_of "$s" skipped_messages)" "$more"
    fi
    check_eq "$f/format" "$(grep '^input ' "$s" | tr ' ' '\n' | sed -n 's/^format=//p')" "$want_fmt"
  done < manifest.txt
}
golden azure azure
golden gcp gcp

cd "$FL_ROOT/tests/data/ingest/azure" || exit 1
# The raw janmg fragment starts mid-string: one bad_json reject for the
# leading junk, then an unterminated record that is left (not counted).
"$FL" cat janmg_issue34_real_nsg_v2_fragment.txt --input-format azure-nsg --stats >"$FL_TMP/j.out" 2>"$FL_TMP/j.stats"
check_eq janmg-raw/counts "$(stat_of "$FL_TMP/j.stats" records_read) $(stat_of "$FL_TMP/j.stats" records_parsed) $(stat_of "$FL_TMP/j.stats" rejected.bad_json)" "1 0 1"
check_eq janmg-raw/no-rows "$(wc -c < "$FL_TMP/j.out")" 0
# Forcing the other Azure format name still reads the record kind it finds.
"$FL" cat azure_docs_vnet-flow-logs-overview.sample.json --input-format azure-nsg >"$FL_TMP/x.out" 2>/dev/null
check vnet-as-nsg node "$FL_ROOT/tests/tools/ndjson_cmp.mjs" azure_docs_vnet-flow-logs-overview.sample.json.expected.ndjson "$FL_TMP/x.out"
# Sums over C+E rows are the documented totals (B rows carry NULL counters).
"$FL" cat azure_docs_nsg-flow-logs-overview.v2-sample.json --format csv --columns flow_state,packets,bytes,packets_rev,bytes_rev >"$FL_TMP/v2.csv"
check_eq v2-ce-sums "$(awk -F, 'NR>1 && ($1=="C"||$1=="E") {p+=$2; b+=$3; pr+=$4; br+=$5} END {print p, b, pr, br}' "$FL_TMP/v2.csv")" "46 25533 37 21128"
check_eq v2-b-null "$(awk -F, 'NR>1 && $1=="B" && ($2!=""||$3!="") {n++} END {print n+0}' "$FL_TMP/v2.csv")" 0
# A mutated fixture must fail the comparison (the test can fail).
sed 's/"dstport":443/"dstport":444/' azure_docs_nsg-flow-logs-overview.v2-sample.json.expected.ndjson >"$FL_TMP/bad.ndjson"
if node "$FL_ROOT/tests/tools/ndjson_cmp.mjs" "$FL_TMP/bad.ndjson" "$FL_TMP/azure_docs_nsg-flow-logs-overview.v2-sample.json.out" >/dev/null 2>&1; then
  fail golden-can-fail "a changed dstport compared equal"
else
  pass golden-can-fail
fi
# GCP: the same entries as a JSON array and pretty-printed give the same rows
# (only source_offset and source_object differ).
cd "$FL_ROOT/tests/data/ingest/gcp" || exit 1
g=elastic_integrations_gcp_vpcflow_test-vpcflow-event.first4.json
{ echo "["; paste -sd, "$g"; echo "]"; } >"$FL_TMP/arr.json"
node -e 'for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) if (l) console.log(JSON.stringify(JSON.parse(l), null, 2))' "$g" >"$FL_TMP/pretty.json"
for v in arr pretty; do
  "$FL" cat "$FL_TMP/$v.json" >"$FL_TMP/$v.out" 2>/dev/null
  check "gcp-$v" node "$FL_ROOT/tests/tools/ndjson_cmp.mjs" "$g.expected.ndjson" "$FL_TMP/$v.out" --ignore source_offset,source_object
done
