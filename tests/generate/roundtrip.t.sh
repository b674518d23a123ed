#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# roundtrip.t.sh - generated data read back by flowsift's own parsers:
# for every format the generator writes, `flowsift cat --stats` parses every
# record (none rejected), and the record count, the NODATA/SKIPDATA counts,
# the Azure B / C+E / deny tuple counts and the sums of bytes and packets
# equal the generator's --truth file.  Skipped while `flowsift cat` does not
# exist.
source "$FL_ROOT/tests/lib.sh"
cd "$FL_TMP" || exit 1
if ! "$FL" --help | grep -qE '^  cat '; then echo "flowsift cat not available: skipped"; exit 0; fi
G() { "$FL" generate -q "$@"; }
tj() { node -e 'const t=JSON.parse(require("fs").readFileSync(process.argv[1]));console.log(process.argv.slice(2).map(k=>t[k]).join(" "))' "$@"; }
st() { sed -E "s/.*\\b$2=([0-9]+).*/\\1/" "$1"; }
sums() { "$FL" cat --format csv --columns bytes,packets "$@" | awk -F, 'NR > 1 { b += $1; p += $2 } END { printf "%.0f %.0f\n", b, p }'; }

for f in aws-v2 aws-v5 aws-tgw; do
  G --format "$f" --records 20000 --seed 3 --accounts 3 --truth "$f.json" --out "$f.log"
  "$FL" cat --stats "$f.log" 2>&1 >/dev/null | grep '^total' >"$f.stats"
  check_eq "${f}_all_parsed" "$(st "$f.stats" records_parsed) $(st "$f.stats" records_rejected)" "$(tj "$f.json" records) 0"
  check_eq "${f}_health_rows" "$(st "$f.stats" nodata) $(st "$f.stats" skipdata)" "$(tj "$f.json" nodata skipdata)"
  check_eq "${f}_sums" "$(sums "$f.log")" "$(tj "$f.json" bytes packets)"
done
G --format aws-v5 --records 20000 --seed 3 --incidents all --truth inc.json --out inc.log
"$FL" cat --stats inc.log 2>&1 >/dev/null | grep '^total' >inc.stats
check_eq incidents_all_parsed "$(st inc.stats records_parsed) $(st inc.stats records_rejected)" "$(tj inc.json records) 0"
check_eq incidents_sums "$(sums inc.log)" "$(tj inc.json bytes packets)"
G --records 20000 --seed 3 --layout s3 --gzip --gzip-member-bytes 4096 --truth s3.json --out s3
"$FL" cat --stats s3 2>&1 >/dev/null | grep '^total' >s3.stats
check_eq s3_gzip_members_all_parsed "$(st s3.stats records_parsed) $(st s3.stats records_rejected)" "$(tj s3.json records) 0"
check_eq s3_sums "$(sums s3)" "$(tj s3.json bytes packets)"
G --aws-format '${srcaddr} ${dstaddr} ${bytes} ${packets} ${action} ${version} ${interface-id} ${flow-direction} ${encryption-status} ${reject-reason} ${log-status}' \
  --records 5000 --seed 3 --truth c.json --out c.log
"$FL" cat --stats c.log 2>&1 >/dev/null | grep '^total' >c.stats
check_eq custom_all_parsed "$(st c.stats records_parsed) $(st c.stats records_rejected)" "$(tj c.json records) 0"
check_eq custom_sums "$(sums c.log)" "$(tj c.json bytes packets)"

for f in azure-nsg azure-vnet; do
  G --format "$f" --layout azure --records 20000 --seed 3 --accounts 3 --truth "$f.json" --out "$f"
  "$FL" cat --stats "$f" 2>&1 >/dev/null | grep '^total' >"$f.stats"
  check_eq "${f}_all_parsed" "$(st "$f.stats" records_parsed) $(st "$f.stats" records_rejected)" "$(tj "$f.json" records) 0"
  read -r b ce d < <(tj "$f.json" flows_b updates_ce denies_d)
  # NSG denies are B tuples with decision D: the parser counts them as flow
  # starts and as denies; VNet denies are state D only.
  [ "$f" = azure-nsg ] && b=$((b + d))
  check_eq "${f}_tuple_kinds" "$(st "$f.stats" flows) $(st "$f.stats" updates) $(st "$f.stats" denies)" "$b $ce $d"
  check_eq "${f}_delta_sums" "$(sums "$f")" "$(tj "$f.json" bytes packets)"
done
G --format gcp --layout gcs --records 20000 --seed 3 --accounts 3 --truth gcp.json --out gcp
"$FL" cat --stats gcp 2>&1 >/dev/null | grep '^total' >gcp.stats
check_eq gcp_all_parsed "$(st gcp.stats records_parsed) $(st gcp.stats records_rejected)" "$(tj gcp.json records) 0"
check_eq gcp_sums "$(sums gcp)" "$(tj gcp.json bytes packets)"
