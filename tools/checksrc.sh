#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# checksrc.sh - enforce the source rules CI cares about:
#  1. one-way layering: a module includes only its own headers, the public
#     headers (include/fl) and the internal headers of the layers below it;
#     src/cli includes only the public headers;
#  2. banned functions (unbounded or state-hiding C calls);
#  3. every source file starts with an SPDX line.
# Prints one line per violation; exits 1 if any.
set -u
cd "$(dirname "$0")/.."
# module -> modules it may include (besides itself and include/fl)
declare -A allow=(
  [common]=""
  [record]="common"
  [config]="common record"
  [ingest]="common record"
  [store]="common record"
  [enrich]="common record config"
  [state]="common record"
  [generate]="common record"
  [query]="common record store enrich config"
  [pipeline]="common record config ingest enrich store state"
  [detect]="common record config store query state pipeline enrich"
  [http]="common record config store query state detect pipeline enrich"
  [cli]=""
)
bad=0
for f in $(find src -name '*.c' -o -name '*.h' | sort); do
  mod=$(echo "$f" | cut -d/ -f2)
  if [ -z "${allow[$mod]+x}" ]; then echo "$f: module '$mod' is not in the layer map (tools/checksrc.sh)"; bad=1; continue; fi
  while IFS= read -r inc; do
    target=$(echo "$inc" | sed -E 's/.*#include "([^"]+)".*/\1/')
    case "$target" in
      fl/*|fl_*.inc) continue ;;
    esac
    # resolve the module the include points at
    t=$(echo "$target" | sed -E 's#^(\.\./)+##' | cut -d/ -f1)
    case "$target" in */*) ;; *) t=$mod ;; esac
    [ "$t" = "$mod" ] && continue
    if [ "$mod" = cli ]; then echo "$f: the CLI may include only public headers: $target"; bad=1; continue; fi
    case " ${allow[$mod]} " in *" $t "*) ;; *) echo "$f: layer violation: $mod includes $target"; bad=1 ;; esac
  done < <(grep -E '^\s*#\s*include\s+"' "$f")
  head -3 "$f" | grep -q 'SPDX-License-Identifier' || { echo "$f: missing SPDX header line"; bad=1; }
done
banned=$(grep -rnE '\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|strncpy)\s*\(' src include --include='*.c' --include='*.h' || true)
[ -n "$banned" ] && { echo "banned functions:"; echo "$banned"; bad=1; }
exit $bad
