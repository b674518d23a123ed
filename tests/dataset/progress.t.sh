#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# progress.t.sh - `flowsift ingest` shows a progress line on a terminal and
# never when stderr is piped (PRODUCT.md: "a progress line on a terminal for
# long work, quiet when piped").  The terminal is a pseudo-tty from
# script(1); FLOWSIFT_PROGRESS_EVERY makes the line appear on a fast machine.
. "$FL_ROOT/tests/lib.sh"
cd "$FL_TMP" || exit 1
"$FL" generate --records 20000 --accounts 2 --layout s3 --gzip --seed 5 --out in --quiet
nobj=$(find in -type f | wc -l)
export FLOWSIFT_PROGRESS_EVERY=0.000001

# piped: stdout and stderr are files, no progress text anywhere
"$FL" ingest --home h1 --no-enrich in >out.txt 2>err.txt
check_eq piped/exit "$?" 0
check_eq piped/no-progress "$(grep -c 'objects,' out.txt err.txt | awk -F: '{ s += $2 } END { print s }')" 0
check_eq piped/stderr-empty "$(wc -c <err.txt)" 0

if ! command -v script >/dev/null; then
  echo "PASS $T/tty-skipped-no-script"
  exit 0
fi
# on a terminal: progress lines with objects done/total, records and MB/s,
# each started with a carriage return, and cleared before the total line
script -qec "$FL ingest --home h2 --no-enrich in" /dev/null >tty.txt 2>&1
check_eq tty/exit "$?" 0
tr '\r' '\n' <tty.txt >tty_lines.txt
check tty/progress-shown grep -Eq "^.*ingest: [0-9]+/$nobj objects, [0-9.]+ M records, [0-9.]+ MB read, [0-9.]+ MB/s" tty_lines.txt
check tty/carriage-return grep -q $'\r' tty.txt
check tty/total-line grep -q "total: $nobj objects ($nobj new" tty_lines.txt
last=$(grep -E 'objects, .* M records' tty_lines.txt | tail -1 | sed 's/.*ingest: \([0-9]*\)\/.*/\1/')
check_eq tty/counts-to-total "$([ -n "$last" ] && [ "$last" -le "$nobj" ] && echo ok)" ok
# --quiet on a terminal: no progress either
script -qec "$FL ingest --home h3 --no-enrich --quiet in" /dev/null >tty_q.txt 2>&1
check_eq tty-quiet/no-progress "$(tr '\r' '\n' <tty_q.txt | grep -c 'objects, .* M records')" 0
# the datasets are the same
a=$(find h1/data -name '*.parquet' | wc -l); b=$(find h2/data -name '*.parquet' | wc -l)
check_eq same-files "$a" "$b"
