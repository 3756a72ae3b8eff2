#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# doc.security can fail: `security_doc --check` accepts docs/security.md as it is and
# refuses it with any one entry of each generated list changed (a system call, a kill
# list entry, a Landlock rule, a masked /proc path, an rlimit).
# Usage: security_doc_drift.sh PATH/TO/security_doc PATH/TO/docs/security.md
set -euo pipefail
bin=${1:?usage: $0 SECURITY_DOC DOC}
doc=${2:?usage: $0 SECURITY_DOC DOC}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0

"$bin" --check "$doc" >/dev/null || { echo "not ok - the document itself does not pass"; exit 1; }
echo "ok - the document as it is passes"

# mutate NAME SED-SCRIPT: the edited copy must differ from the original and be refused.
mutate() {
        sed "$2" "$doc" >"$tmp/doc.md"
        if cmp -s "$doc" "$tmp/doc.md"; then
                echo "not ok - $1: the edit did not apply (has the generated block changed?)"; failed=1
        elif "$bin" --check "$tmp/doc.md" >/dev/null 2>&1; then
                echo "not ok - $1: the changed document was accepted"; failed=1
        else
                echo "ok - $1 is caught"
        fi
}
mutate "an allowed system call removed" 's/`getrandom` //'
mutate "a call removed from the kill list" 's/`ptrace` `process_vm_readv`/`process_vm_readv`/'
mutate "a call added to the kill list" 's/`pidfd_getfd`$/`pidfd_getfd` `kill`/'
mutate "a Landlock rule widened" 's/^| `\/tmp` | read, list, write/| `\/tmp` | read, list, execute, write/'
mutate "a Landlock rule removed" '/^| `\/dev\/shm` |/d'
mutate "a masked /proc file removed" 's/`\/proc\/kcore` //'
mutate "a masked /proc directory removed" 's/`\/proc\/acpi` //'
mutate "an rlimit changed" 's/^| `RLIMIT_NOFILE` | 1024 |/| `RLIMIT_NOFILE` | 4096 |/'
mutate "an ioctl added" 's/^`TCGETS` /`TIOCSTI` `TCGETS` /'
sed '/BEGIN GENERATED/,$d' "$doc" >"$tmp/doc.md"
if "$bin" --check "$tmp/doc.md" >/dev/null 2>&1; then echo "not ok - a document without the generated block was accepted"; failed=1
else echo "ok - a missing generated block is caught"; fi
exit $failed
