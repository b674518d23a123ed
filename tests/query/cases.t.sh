#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# cases.t.sh - the data-driven SQL corpus.  Builds the datasets of
# tests/data/query/datasets/*.ndjson with mkdataset (the docs/dataset.md
# layout through the store's Parquet writer), then runs every
# tests/data/query/cases/*.test file: header lines "-- dataset: NAME",
# optional "-- now: TIME" and "-- oracle: no" (not checkable on DuckDB), the
# query, then "-- expect:" and the CSV output, or "-- expect error:" and the
# exact first line of the error message.  Rows are compared in order when the
# query has ORDER BY, as sorted lines otherwise.  Expected rows were checked
# against DuckDB over the same Parquet files (see tests/data/query/README.md).
. "$FL_ROOT/tests/lib.sh"
MK=$FL_BUILD/tests/tools/mkdataset
D=$FL_ROOT/tests/data/query
for f in "$D"/datasets/*.ndjson; do
  n=$(basename "$f" .ndjson)
  "$MK" "$FL_TMP/ds/$n" "$f" >"$FL_TMP/mk.log" 2>&1 || { fail "mkdataset_$n" "$(cat "$FL_TMP/mk.log")"; }
done
mkdir -p "$FL_TMP/ds/empty/data"
# the hourly dataset also gets small row groups (row-group pruning)
"$MK" "$FL_TMP/ds/hourly_rg" --rg-rows 2 "$D/datasets/hourly.ndjson" >/dev/null 2>&1
ncases=0
for c in "$D"/cases/*.test; do
  name=${c##*/}; name=${name%.test}
  ncases=$((ncases + 1))
  ds= now= sql= kind= want= inexp=0
  while IFS= read -r line || [ -n "$line" ]; do
    if [ $inexp = 1 ]; then want+="$line"$'\n'; continue; fi
    case "$line" in
      "-- dataset: "*) ds=${line#-- dataset: } ;;
      "-- now: "*) now=${line#-- now: } ;;
      "-- oracle: "*) ;;
      "-- expect"*) kind=$line; inexp=1 ;;
      *) sql+="$line"$'\n' ;;
    esac
  done <"$c"
  sql=${sql%$'\n'}
  args=(query --home "$FL_TMP/ds/$ds" --format csv)
  [ -n "$now" ] && args+=(--now "$now")
  got=$("$FL" "${args[@]}" "$sql" 2>"$FL_TMP/err"; echo "rc=$?")
  rc=${got##*rc=}; got=${got%rc=*}
  if [ "$kind" = "-- expect error:" ]; then
    { IFS= read -r e1; IFS= read -r e2; IFS= read -r e3; } <"$FL_TMP/err"
    e1=${e1#flowsift query: }
    w1=${want%%$'\n'*}
    if [ "$rc" -eq 0 ]; then fail "$name" "expected an error, got rows"; continue; fi
    if [ "$e1" != "$w1" ]; then fail "$name" "error [$e1] want [$w1]"; continue; fi
    # a positioned error shows the query line and a caret
    if [[ "$w1" == line* ]] && [[ ! "$e3" =~ ^\ *\^$ ]]; then
      fail "$name" "no caret line: [$e2] [$e3]"; continue
    fi
    pass "$name"
    continue
  fi
  if [ "$rc" -ne 0 ]; then fail "$name" "exit $rc: $(head -c 300 "$FL_TMP/err")"; continue; fi
  shopt -s nocasematch
  if [[ "$sql" != *"order by"* ]]; then
    shopt -u nocasematch
    got=$(printf '%s' "$got" | { IFS= read -r h; echo "$h"; LC_ALL=C sort; })$'\n'
    want=$(printf '%s' "$want" | { IFS= read -r h; echo "$h"; LC_ALL=C sort; })$'\n'
  fi
  shopt -u nocasematch
  if [ "$got" == "$want" ]; then pass "$name"; else fail "$name" "got [$(tr '\n' '|' <<<"$got")] want [$(tr '\n' '|' <<<"$want")]"; fi
done
check_eq corpus_size "$([ $ncases -ge 150 ] && echo ok || echo "$ncases")" ok
# row-group pruning: with 2-row groups, dstport stats skip nothing but srcaddr/bytes ranges do
out=$("$FL" query --home "$FL_TMP/ds/hourly_rg" --format csv "EXPLAIN SELECT sum(bytes) FROM flows WHERE bytes >= 1500")
rgline=$(grep -o 'row groups [0-9]* of [0-9]* skipped' <<<"$out")
skipped=$(awk '{print $3}' <<<"$rgline"); total=$(awk '{print $5}' <<<"$rgline")
check_eq rowgroup_pruning_skips "$([ -n "$skipped" ] && [ "$skipped" -gt 0 ] && [ "$skipped" -lt "$total" ] && echo ok || echo "$out")" ok
a=$("$FL" query --home "$FL_TMP/ds/hourly_rg" --format csv "SELECT sum(bytes) AS s, count(*) AS n FROM flows WHERE bytes >= 1500")
b=$("$FL" query --home "$FL_TMP/ds/hourly" --format csv "SELECT sum(bytes) AS s, count(*) AS n FROM flows WHERE bytes >= 1500")
check_eq rowgroup_pruning_same_answer "$a" "$b"
# output formats
j=$("$FL" query --home "$FL_TMP/ds/small" --format ndjson "SELECT cloud, count(*) AS n, NULL AS z, true AS t FROM flows GROUP BY cloud ORDER BY cloud LIMIT 1")
check_eq format_ndjson "$j" '{"cloud":"aws","n":11,"z":null,"t":true}'
j=$("$FL" query --home "$FL_TMP/ds/small" --format json "SELECT 1.5 AS x UNION_NOT_USED" 2>&1 >/dev/null | head -1)
check_eq format_error_exit "$([ -n "$j" ] && echo ok)" ok
j=$("$FL" query --home "$FL_TMP/ds/small" --format json "SELECT 'a\"b' AS s, 2.5 AS d")
check_eq format_json "$(tr -d '\n' <<<"$j")" '[{"s":"a\"b","d":2.5}]'
t=$("$FL" query --home "$FL_TMP/ds/small" "SELECT cloud, count(*) AS n FROM flows GROUP BY cloud ORDER BY n DESC")
check_eq format_table "$t" "$(printf 'cloud | n \n------+---\naws   | 11\nazure |  6\ngcp   |  3\n(3 rows)')"
# --now and FLOWSIFT_NOW
a=$(FLOWSIFT_NOW=2024-05-03 "$FL" query --home "$FL_TMP/ds/small" --format csv "SELECT current_date AS d")
check_eq flowsift_now_env "$a" "$(printf 'd\n2024-05-03')"
# --out FILE.parquet round trip
"$FL" query --home "$FL_TMP/ds/small" --out "$FL_TMP/out.parquet" "SELECT srcaddr, dstaddr, bytes FROM flows WHERE cloud = 'gcp' ORDER BY bytes" 2>"$FL_TMP/err"
check_eq out_parquet_written "$([ -s "$FL_TMP/out.parquet" ] && echo ok || cat "$FL_TMP/err")" ok
mkdir -p "$FL_TMP/rt/data/cloud=x/account=y/region=z/date=2024-01-01"
cp "$FL_TMP/out.parquet" "$FL_TMP/rt/data/cloud=x/account=y/region=z/date=2024-01-01/a.parquet" 2>/dev/null
a=$("$FL" query --home "$FL_TMP/rt" --format csv "SELECT srcaddr, dstaddr, bytes FROM flows ORDER BY bytes")
b=$("$FL" query --home "$FL_TMP/ds/small" --format csv "SELECT srcaddr, dstaddr, bytes FROM flows WHERE cloud = 'gcp' ORDER BY bytes")
check_eq out_parquet_roundtrip "$a" "$b"
e=$("$FL" query --home "$FL_TMP/ds/small" --out "$FL_TMP/bad.parquet" "SELECT count(*) AS n FROM flows" 2>&1)
check_eq out_parquet_non_catalog "$(grep -c 'not a flow-record column' <<<"$e")" 1
# memory budget: a query that cannot fit says so and names the option
e=$("$FL" query --home "$FL_TMP/ds/small" --memory 100KB "SELECT srcaddr, sum(bytes) FROM flows GROUP BY srcaddr" 2>&1)
check_eq memory_budget_message "$(grep -c 'raise it with --memory' <<<"$e")" 1
