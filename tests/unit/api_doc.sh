#!/bin/bash
# docs/api.md documents every method the supervisor dispatches: a heading that names it
# and at least one request example (">>> ... "method":"NAME" ...") followed by a reply
# ("<<< "). The method names are read from the dispatch table itself, so a method added
# without its documentation fails here.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
table="$root/supervisor/methods.c"
doc="$root/docs/api.md"
methods=$(sed -n '/method_table\|methods\[\] *=/,/^};/p' "$table" | grep -oE '\{ *"[a-z]+\.[a-z_]+"' | grep -oE '[a-z]+\.[a-z_]+' | sort -u)
n=$(wc -w <<<"$methods")
if [ "$n" -lt 7 ]; then
    echo "FAIL: found only $n methods in $table (the dispatch table's format changed?)" >&2
    exit 1
fi
bad=0
for m in $methods; do
    if ! grep -qE "^###+ .*\b${m//./\\.}\b" "$doc"; then
        echo "FAIL: $m has no heading in docs/api.md" >&2; bad=$((bad + 1)); continue
    fi
    if ! awk -v m="\"method\": *\"$m\"" '
            /^>>> / && $0 ~ m { req = 1; next }
            req && /^<<< / { found = 1; exit }
            END { exit !found }' "$doc"; then
        echo "FAIL: $m has no request example with a reply in docs/api.md" >&2; bad=$((bad + 1)); continue
    fi
    echo "ok - $m"
done
[ "$bad" -eq 0 ] || exit 1
echo "PASS: $n methods documented with examples"
