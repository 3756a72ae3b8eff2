#!/bin/bash
# docs/api.md documents every method the supervisor dispatches: a heading that names it
# and at least one request example (">>> ... "method":"NAME" ...") followed by a reply
# ("<<< "). The method names are read from the dispatch table itself, so a method added
# without its documentation fails here. Likewise every failure stage the code reports
# ({stage, errno, message}) has its row in "Failure stages", and every field the spec
# decoder accepts its row in "The sandbox spec"; and no row is stale.
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

# The stages: the string literal given as the stage argument of every function that
# reports a failure, and init's hand-written message for a failed fork.
python3 - "$root" <<'PY' || bad=$((bad + 1))
import glob, re, sys
root = sys.argv[1]
src = " ".join(open(f).read() for f in glob.glob(root + "/sandbox/*.c") + glob.glob(root + "/supervisor/*.c"))
calls = [r'sbx_failure_set\([^,;]+,\s*"([a-z_]+)"', r'sbx_ctl_die\([^,;]+,[^,;]+,\s*"([a-z_]+)"',
         r'sbx_ctl_send_failure\([^,;]+,\s*"([a-z_]+)"', r'fail_errno\([^,;]+,\s*(?:[^,;]*\?\s*)?"([a-z_]+)"',
         r'fail_before_clone\([^,;]+,\s*"([a-z_]+)"', r'exec_failed\([^,;]+,\s*"([a-z_]+)"',
         r'\\"stage\\":\\"([a-z_]+)\\"', r'stage \? stage : "([a-z_]+)"']
code = set()
for c in calls:
    code |= set(re.findall(c, src))
doc = open(root + "/docs/api.md").read()
table = doc[doc.index("### Failure stages"):doc.index("## The sandbox spec")]
rows = set(re.findall(r"^\| `([a-z_]+)` \|", table, re.M))
ok = len(code) >= 20
if not ok:
    print(f"FAIL: found only {len(code)} stages in the code (the reporting functions changed?)", file=sys.stderr)
for s in sorted(code - rows):
    print(f"FAIL: stage '{s}' is reported by the code but has no row in docs/api.md", file=sys.stderr); ok = False
for s in sorted(rows - code):
    print(f"FAIL: docs/api.md lists stage '{s}', which no code reports", file=sys.stderr); ok = False
if ok:
    print(f"ok - the {len(code)} failure stages the code reports are the ones docs/api.md lists")
sys.exit(0 if ok else 1)
PY

# The spec's fields: the decoder's list of known fields (common/spec.c) against the rows
# of "The sandbox spec" (its "Limits" part has the members of `limits`).
python3 - "$root" <<'PY' || bad=$((bad + 1))
import re, sys
root = sys.argv[1]
src = open(root + "/common/spec.c").read()
start = src.find('static const char *const known[] = { "name"')
if start < 0:
    sys.exit(print("FAIL: the spec decoder's list of known fields was not found", file=sys.stderr) or 1)
fields = re.findall(r'"([a-z_]+)"', src[start:src.index("};", start)])
doc = open(root + "/docs/api.md").read()
rows = set(re.findall(r"^\| `([a-z_]+)` \|", doc[doc.index("## The sandbox spec"):doc.index("### Limits")], re.M))
bad = [f for f in fields if f not in rows] + sorted(rows - set(fields))
for f in bad:
    print(f"FAIL: spec field '{f}' is in {'the decoder but not docs/api.md' if f in fields else 'docs/api.md but not the decoder'}", file=sys.stderr)
if not bad:
    print(f"ok - the {len(fields)} spec fields the decoder accepts are the ones docs/api.md lists")
sys.exit(1 if bad else 0)
PY
[ "$bad" -eq 0 ] || exit 1
echo "PASS: $n methods documented with examples, every failure stage and every spec field"
