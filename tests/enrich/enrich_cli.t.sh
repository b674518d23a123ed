# SPDX-License-Identifier: Apache-2.0
# enrich_cli.t.sh - `flowsift enrich`: the triage lookup through the CLI
# (every output format, exact values from a fixture config), clear errors
# with file:line:col for bad configs, usage errors, a missing default geo
# database degrading to one warning, and two very stable facts on the real
# npm geo database (skipped without a PASS line when it is absent).
. "$FL_ROOT/tests/lib.sh"
D=$FL_ROOT/tests/data/enrich/configs
cd "$FL_TMP" || exit 1

# --- values from the fixture config (no geo) -------------------------------
"$FL" enrich --config "$D/cli.yaml" --format csv 10.1.1.200 10.1.1.5 45.33.32.156 52.217.9.9 \
  169.254.169.254 10.1.1.250 2001:db8::1 >out.csv 2>err.txt
check_eq csv_exit "$?" 0
cat >want.csv <<'EOF'
ip,scope,internal,country,asn,as_org,tag,tier,env,asset_cidr,vpc,cloud_service,cloud_provider,threats,known_scanner
10.1.1.200,private,true,,,,"canary, west",web,canary,10.1.1.128/25,vpc-prod,,,,false
10.1.1.5,private,true,,,,frontend,web,prod,10.1.1.0/24,vpc-prod,,,,false
45.33.32.156,public,false,,,,,,,,,,,drop,false
52.217.9.9,public,false,,,,,,,,,S3,aws,,false
169.254.169.254,link_local,false,,,,,,,,,,,,false
10.1.1.250,private,true,,,,"canary, west",web,canary,10.1.1.128/25,vpc-prod,,,,true
2001:db8::1,reserved,false,,,,,,,,,,,,false
EOF
check_file_eq csv_values out.csv want.csv
check_eq csv_one_warning "$(cat err.txt)" "flowsift: warning: $D/../aws-ip-ranges.json: 1 malformed entries ignored"

# two lists contain 1.10.16.1: both are named, in config order
"$FL" enrich --config "$D/cli.yaml" --format ndjson 1.10.16.1 >out.json
check_eq ndjson_threats "$(node -e 'const o=JSON.parse(require("fs").readFileSync("out.json","utf8"));console.log(o.threats.join("|"), o.internal, o.asn)')" "drop|firehol false null"

"$FL" enrich --config "$D/cli.yaml" --format json 10.1.1.5 8.8.4.4 >out.json
check_eq json_array "$(node -e 'const a=JSON.parse(require("fs").readFileSync("out.json","utf8"));console.log(a.length, a[0].tag, a[1].scope)')" "2 frontend public"

"$FL" enrich --config "$D/cli.yaml" 10.1.1.5 >out.txt
check_eq table_tag "$(awk '$1 == "tag" { print $2 }' out.txt)" frontend
check_eq table_scope "$(awk '$1 == "scope" { print $2 }' out.txt)" private

# --- errors ------------------------------------------------------------------
"$FL" enrich --config "$D/cli.yaml" 10.1.1.5 not-an-ip >out.txt 2>err.txt
check_eq bad_ip_exit "$?" 2
check_eq bad_ip_msg "$(cat err.txt)" "flowsift: enrich: 'not-an-ip' is not an IPv4 or IPv6 address"
check_eq bad_ip_no_output "$(cat out.txt)" ""

"$FL" enrich >out.txt 2>err.txt
check_eq no_args_exit "$?" 2
check_eq no_args_msg "$(head -1 err.txt)" "flowsift enrich: give at least one IP address"

"$FL" enrich --format xml 1.2.3.4 >out.txt 2>err.txt
check_eq bad_format_exit "$?" 2

"$FL" enrich --config "$D/bad_cidr.yaml" 1.2.3.4 >out.txt 2>err.txt
check_eq bad_cidr_exit "$?" 2
check_eq bad_cidr_msg "$(cat err.txt)" "flowsift: $D/bad_cidr.yaml:4:3: bad CIDR '10.1.300.0/24' in assets"

"$FL" enrich --config "$D/bad_file.yaml" 1.2.3.4 >out.txt 2>err.txt
check_eq bad_file_exit "$?" 2
check_eq bad_file_msg "$(cat err.txt)" "flowsift: $D/bad_file.yaml:2:24: cannot read intel list file '$D/../no-such-intel-list.txt': No such file or directory"

"$FL" enrich --config "$D/no-such.yaml" 1.2.3.4 >out.txt 2>err.txt
check_eq missing_config_exit "$?" 2

"$FL" enrich --help >out.txt 2>&1
check_eq help_exit "$?" 0
check help_text grep -q "everything known\|Prints what flowsift knows" out.txt

# --- config from $FLOWSIFT_HOME -----------------------------------------------
mkdir -p home
printf 'geo: {enabled: false}\nassets:\n  192.168.7.0/24: {name: lab}\n' >home/flowsift.yaml
FLOWSIFT_HOME=$FL_TMP/home "$FL" enrich --format csv 192.168.7.7 >out.csv
check_eq home_config "$(tail -1 out.csv | cut -d, -f7)" lab

# --- missing default geo database: one warning, empty geo, exit 0 ---------------
# A copy of the binary outside the tree does not find node_modules beside it.
mkdir -p bin nogeo && cp "$FL" bin/flowsift
(cd "$FL_TMP" && FLOWSIFT_HOME=$FL_TMP/empty FLOWSIFT_GEO_DIR=$FL_TMP/nogeo ./bin/flowsift enrich --format csv 8.8.8.8 >out.csv 2>err.txt)
check_eq nogeo_exit "$?" 0
check_eq nogeo_one_warning "$(grep -c warning err.txt)" 1
check_eq nogeo_empty_country "$(tail -1 out.csv | cut -d, -f2,4,5)" "public,,"

# --- two very stable facts on the real database (skipped if absent) --------------
DB=$FL_ROOT/node_modules/@ip-location-db/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb
if [ -r "$DB" ] && [ -r "$FL_ROOT/node_modules/@ip-location-db/asn/asn-ipv4.csv" ]; then
  (cd "$FL_ROOT" && FLOWSIFT_HOME=$FL_TMP/empty "$FL" enrich --format csv 8.8.8.8 2001:4860:4860::8888) >out.csv 2>err.txt
  check_eq realdb_google_v4 "$(sed -n 2p out.csv | cut -d, -f4,5)" "US,15169"
  check_eq realdb_google_v6 "$(sed -n 3p out.csv | cut -d, -f5)" "15169"
else
  echo "note: $DB absent (run tools/deps.sh): real-database facts skipped"
fi
