#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# deps.sh - install what flowsift needs and is missing, on Debian 12 as root:
# the -dev libraries (found with pkg-config), clang for fuzzing, and the npm
# packages of package.json (DuckDB for the oracle tests, geo databases, web
# assets: ECharts, world-atlas, d3-geo, topojson-client; playwright-core
# driving Debian's chromium in the browser tests).  Idempotent and quick when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs_for() { # pkg-config module -> Debian package
  case "$1" in
    libisal) echo libisal-dev ;; zlib) echo zlib1g-dev ;; libzstd) echo libzstd-dev ;;
    snappy) echo libsnappy-dev ;; libmaxminddb) echo libmaxminddb-dev ;;
    sqlite3) echo libsqlite3-dev ;; yaml-0.1) echo libyaml-dev ;;
    libmicrohttpd) echo libmicrohttpd-dev ;; libcurl) echo libcurl4-openssl-dev ;;
    libpcre2-8) echo libpcre2-dev ;; yajl) echo libyajl-dev ;;
  esac
}
need=()
command -v pkg-config >/dev/null || need+=(pkg-config)
command -v cc >/dev/null || need+=(build-essential)
for m in libisal zlib libzstd snappy libmaxminddb sqlite3 yaml-0.1 libmicrohttpd libcurl libpcre2-8 yajl; do
  pkg-config --exists "$m" 2>/dev/null || need+=("$(pkgs_for "$m")")
done
command -v clang >/dev/null || need+=(clang)
[ -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ] || ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 || need+=(libclang-rt-14-dev)
command -v igzip >/dev/null || need+=(isal)
command -v sqlite3 >/dev/null || need+=(sqlite3)
[ -x /usr/bin/time ] || need+=(time) # bench/run.sh: wall time and peak RSS
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
# dashboard: the browser of the browser tests (tests/http/browser.t.sh, the
# compliance report's PDF/PNG rendering) and the ISO 3166 table that maps our
# alpha-2 country codes to world-atlas's numeric ids (tools/iso3166.mjs)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -f /usr/share/iso-codes/json/iso_3166-1.json ] || need+=(iso-codes)
# the dashboard API's load test (tests/http/load.t.sh, bench/serve.sh)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  echo "deps: installing ${need[*]}" >&2
  if [ "$(id -u)" != 0 ]; then echo "deps: need root to apt-get install ${need[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# npm packages, pinned by package-lock.json.  `npm install --no-save`
# installs the locked versions without rewriting the lockfile; `npm ci`
# is not used because npm 11 rejects lockfiles that omit other platforms'
# optional DuckDB bindings.  Reinstall when package.json or the lock changed.
stamp=node_modules/.flowsift-stamp
want=$(cat package.json package-lock.json | md5sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "deps: npm install (locked versions)" >&2
  npm install --no-audit --no-fund --no-save --loglevel=error >/dev/null
  echo "$want" > "$stamp"
fi
