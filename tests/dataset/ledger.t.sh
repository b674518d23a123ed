#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ledger.t.sh - the ingest ledger keeps "nothing lost, nothing duplicated":
# re-ingesting adds nothing (every object "skipped", files unchanged); a
# changed object replaces exactly its own rows; --dry-run writes nothing and
# says why; a bad input fails alone (exit 2) while the others are stored; a
# growing Azure blob is resumed where the last run stopped, step by step,
# never duplicating (the expected tuple counts are computed independently
# with node's JSON.parse).
. "$FL_ROOT/tests/lib.sh"
duck() { node "$FL_ROOT/tests/tools/duck.mjs" --no-header "$@"; }
cd "$FL_TMP" || exit 1
rows() { duck "SELECT count(*), count(DISTINCT (source_object, source_offset)) FROM read_parquet('$1/data/**/*.parquet')"; }
snap() { (cd "$1" && find data -type f | sort | xargs -r md5sum); }

"$FL" generate --records 3000 --accounts 2 --layout s3 --seed 3 --out in --quiet
n_obj=$(find in -type f | wc -l)
# ---- dry run on a fresh home: nothing created ----
"$FL" ingest --home h --dry-run in >dry.out 2>&1
check_eq dry/exit "$?" 0
check_eq dry/nothing-written "$([ -e h ] && echo exists || echo absent)" absent
check_eq dry/says-new "$(grep -c '^ingest  *new ' dry.out)" "$n_obj"
# ---- first ingest ----
"$FL" ingest --home h --no-enrich in >i1.out 2>&1
check_eq first/exit "$?" 0
check_eq first/rows "$(rows h)" "3000,3000"
check_eq first/per-object "$(grep -c '^new ' i1.out)" "$n_obj"
snap h >s1
# ---- re-ingest: nothing added, every object skipped ----
"$FL" ingest --home h --no-enrich in >i2.out 2>&1
check_eq again/exit "$?" 0
check_eq again/skipped "$(grep -c '^skipped ' i2.out)" "$n_obj"
snap h >s2
check_file_eq again/files-unchanged s2 s1
check_eq again/rows "$(rows h)" "3000,3000"
# ---- dry run on the existing dataset: says unchanged / changed ----
victim=$(find in -type f | sort | head -1)
other=$(find in -type f | sort | sed -n 2p)
v_rows_before=$(duck "SELECT count(*) FROM read_parquet('h/data/**/*.parquet') WHERE source_object = '$(realpath "$victim")'")
# change the victim: drop its last 2 data lines and turn ACCEPT into REJECT
keep=$(( $(wc -l <"$victim") - 2 ))
head -n "$keep" "$victim" | sed 's/ACCEPT/REJECT/' >v.tmp && cat v.tmp >"$victim"
exp_v=$((keep - 1)) # minus the header line
"$FL" ingest --home h --dry-run in >dry2.out 2>&1
check_eq dry2/changed "$(grep -c '^ingest  *changed ' dry2.out)" 1
check_eq dry2/unchanged "$(grep -c '^skip  *unchanged ' dry2.out)" $((n_obj - 1))
snap h >s3
check_file_eq dry2/nothing-written s3 s1
# ---- the changed object replaces its rows, the others stay ----
"$FL" ingest --home h --no-enrich in >i3.out 2>&1
check_eq replace/exit "$?" 0
check_eq replace/status "$(grep -c '^replaced ' i3.out)" 1
V=$(realpath "$victim"); O=$(realpath "$other")
check_eq replace/victim-rows "$(duck "SELECT count(*), count(*) FILTER (WHERE action = 'ACCEPT') FROM read_parquet('h/data/**/*.parquet') WHERE source_object = '$V'")" "$exp_v,0"
check_eq replace/total "$(rows h)" "$((3000 - v_rows_before + exp_v)),$((3000 - v_rows_before + exp_v))"
check_eq replace/other-untouched "$(duck "SELECT count(*) > 0 FROM read_parquet('h/data/**/*.parquet') WHERE source_object = '$O'")" "true"
check_eq replace/no-hidden-in-data "$(find h/data -name '.*' | wc -l)" 0
# ---- a bad input fails alone; the others are stored; exit 2 ----
mkdir bad && printf 'not gzip' >bad/x.log.gz && printf '\037\213\010\000garbage' >bad/y.log.gz
cp "$FL_ROOT/tests/data/ingest/aws/aws_docs_flow-log-record-examples.v2-default.log" bad/good.log
"$FL" ingest --home hb --no-enrich bad >b.out 2>b.err
check_eq bad/exit "$?" 2
check_eq bad/good-stored "$(rows hb)" "$(grep -c . bad/good.log),$(grep -c . bad/good.log)"
check_eq bad/error-named "$(grep -c 'y.log.gz' b.err)" 1
check_eq bad/failed-line "$(grep -c '^failed ' b.out)" 1
# ---- stdin ----
"$FL" ingest --home hs --no-enrich - <bad/good.log >s.out 2>&1
check_eq stdin/rows "$(rows hs)" "$(grep -c . bad/good.log),$(grep -c . bad/good.log)"

# ---- a growing Azure blob, in 4 steps ----
"$FL" generate --format azure-nsg --layout azure --records 1500 --grow-steps 4 --seed 5 --out az --quiet
tuples() { node -e 'const fs=require("fs");let n=0;function w(d){for(const e of fs.readdirSync(d,{withFileTypes:true})){const p=d+"/"+e.name;if(e.isDirectory())w(p);else{const j=JSON.parse(fs.readFileSync(p));for(const r of j.records)for(const f of r.properties.flows)for(const g of f.flows)n+=g.flowTuples.length;}}}w(process.argv[1]);console.log(n)' "$1"; }
resumed=0
for s in 1 2 3 4; do
  rm -rf blobs && cp -r "az/step0$s" blobs
  exp=$(tuples blobs)
  "$FL" ingest --home hz --no-enrich blobs >g$s.out 2>&1
  check_eq grow/step$s-exit "$?" 0
  check_eq grow/step$s-rows "$(rows hz)" "$exp,$exp"
  resumed=$((resumed + $(grep -c '^resumed ' g$s.out)))
done
check_eq grow/resumed-some "$([ "$resumed" -gt 0 ] && echo yes)" yes
"$FL" ingest --home hz --no-enrich blobs >g5.out 2>&1
check_eq grow/again-skipped "$(grep -c '^skipped ' g5.out)" "$(find blobs -type f | wc -l)"
# ---- a blob read mid-append: the cut record is left for the next run ----
big=$(find az/step04 -type f -printf '%s %p\n' | sort -n | tail -1 | cut -d' ' -f2-)
sz=$(stat -c %s "$big")
mkdir mid && head -c $((sz * 2 / 3)) "$big" >mid/PT1H.json
"$FL" ingest --home hm --no-enrich mid >m1.out 2>&1
check_eq midappend/first-exit "$?" 0
first=$(rows hm | cut -d, -f1)
cp "$big" mid/PT1H.json
"$FL" ingest --home hm --no-enrich mid >m2.out 2>&1
check_eq midappend/resumed "$(grep -c '^resumed ' m2.out)" 1
exp=$(mkdir -p one && cp "$big" one/ && tuples one)
check_eq midappend/complete "$(rows hm)" "$exp,$exp"
check_eq midappend/first-was-partial "$([ "$first" -lt "$exp" ] && echo yes)" yes
