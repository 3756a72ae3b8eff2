#!/bin/bash
# Who may do what: members of the socket group may use the API; each uid sees and acts
# only on its own sandboxes (root on all); admission limits refuse with the limit.
# Also: events stream every state change.
. "$(dirname "$0")/lib.sh"
command -v setpriv >/dev/null || skip "setpriv (util-linux) is needed to act as other users"
# Two unprivileged system users every Debian has (daemon, bin) and the group "users".
GID=$(getent group users | cut -d: -f3)
[ -n "$GID" ] || skip "no group 'users'"
start_supervisor --socket-group users --max-sandboxes 6 --max-sandboxes-per-uid 2
as() { local uid=$1; shift; setpriv --reuid="$uid" --regid="$uid" --groups="$GID" -- "$@"; }
# The CLI of an unprivileged user cannot take the autostart lock; it only connects.
chmod 755 "$T"

"$N" events --json >"$T/events" 2>&1 & ev=$!
sleep 0.2

as 1 "$N" run -d --name a1 -- sleep 100 >/dev/null
as 2 "$N" run -d --name b1 -- sleep 100 >/dev/null
wait_state a1; wait_state b1
assert_contains "$(as 1 "$N" ps --json)" '"name": "a1"' "uid 1 sees its sandbox"
assert_not_contains "$(as 1 "$N" ps --json)" '"name": "b1"' "and not uid 2's"
assert_contains "$("$N" ps --json)" '"name": "b1"' "root sees every sandbox"
rc=0; err=$(as 1 "$N" kill b1 2>&1) || rc=$?
assert_eq 1 "$rc" "uid 1 cannot signal uid 2's sandbox"
assert_contains "$err" "no sandbox 'b1'" "which looks like it does not exist"
b1=$("$N" inspect b1 | sed -n 's/^  "id": "\(.*\)",$/\1/p')
assert_contains "$(as 1 "$N" inspect "$b1" 2>&1 || true)" "no sandbox" "not even by its full id"
assert_contains "$(as 1 "$N" logs "${b1:0:8}" 2>&1 || true)" "no sandbox" "nor by a prefix"
assert_eq "ok" "$(as 1 "$N" exec a1 sh -c 'echo ok')" "uid 1 can exec in its own sandbox"
assert_contains "$("$N" inspect a1)" '"owner_uid": 1' "inspect records the owner"

# Admission: per uid, then globally.
as 1 "$N" run -d --name a2 -- sleep 100 >/dev/null
rc=0; err=$(as 1 "$N" run -d --name a3 -- sleep 100 2>&1) || rc=$?
assert_eq 125 "$rc" "a uid over its limit is refused"
assert_contains "$err" "too many sandboxes for uid 1: 2 are live and the limit is 2" "with the limit in the message"
for n in r1 r2 r3; do "$N" run -d --name $n -- sleep 100 >/dev/null; done
rc=0; err=$("$N" run -d --name r4 -- sleep 100 2>&1) || rc=$?
assert_contains "$err" "too many sandboxes: 6 are live and the limit is 6" "the global limit holds for root too"

# Without the group, a user cannot connect at all.
rc=0; setpriv --reuid=1 --regid=1 --clear-groups -- "$N" ps >/dev/null 2>&1 || rc=$?
assert_ne 0 "$rc" "outside the socket group, no access"

"$N" rm -f a1 a2 b1 r1 r2 r3 >/dev/null
sleep 0.3
# A volume has for the sandbox what it has for its caller: for uid 1, the sandbox's root
# is uid 1 there, and root's files stay root's (not the sandbox's to write, chmod or
# read, as they were when every volume mapped the sandbox's root to the host's).
mkdir "$T/shared"; chown 1:1 "$T/shared"; chmod 1777 "$T/shared"
echo root-script >"$T/shared/root.sh"; chmod 755 "$T/shared/root.sh"
echo root-secret >"$T/shared/secret"; chmod 600 "$T/shared/secret"
echo mine >"$T/shared/mine"; chown 1:1 "$T/shared/mine"
out=$(as 1 "$N" run -v "$T/shared:/data" -- sh -c 'echo PWNED >>/data/root.sh; chmod 777 /data/root.sh; cat /data/secret
    echo more >>/data/mine && echo wrote-mine; echo new >/data/new && echo created' 2>&1 || true)
assert_eq "root-script" "$(cat "$T/shared/root.sh")" "a non-root caller's sandbox cannot write root's file in its volume"
assert_eq "755" "$(stat -c %a "$T/shared/root.sh")" "nor chmod it"
assert_not_contains "$out" "root-secret" "nor read root's 0600 file"
assert_contains "$out" "wrote-mine" "it writes the caller's own files"
assert_eq "1:1" "$(stat -c %u:%g "$T/shared/new")" "and creates files as the caller"
assert_eq "root-script" "$("$N" run -v "$T/shared:/data:ro" -- head -1 /data/root.sh)" "root's sandboxes are still root there"
# The same for --rootfs: the host's own root as uid 1's rootfs still runs programs, but
# its root-only files stay closed (/etc/shadow was readable as the sandbox root's).
out=$(as 1 "$N" run --rootfs / -- sh -c 'echo runs; cat /etc/shadow' 2>&1 || true)
assert_contains "$out" "runs" "a non-root caller's --rootfs / runs programs"
assert_not_contains "$out" "root:" "but its sandbox cannot read the host's /etc/shadow"

kill $ev 2>/dev/null; wait $ev 2>/dev/null || true
assert_contains "$(cat "$T/events")" '"state":"running"' "events: running"
assert_contains "$(cat "$T/events")" '"state":"exited"' "events: exited, with the result"
assert_contains "$(cat "$T/events")" '"state":"removed"' "events: removed"
assert_eq 6 "$(grep -c '"state":"removed"' "$T/events")" "one removal event per sandbox"
finish
