#!/bin/bash
# --user/--group/--additional-group and --tmpfs: the workload's identity inside, applied
# between the bounding-set drop and the final capability clear; private tmpfs mounts
# owned by that identity.
. "$(dirname "$0")/lib.sh"
start_supervisor

ids=$(in_sandbox --user 1000 --group 1001 --additional-group 5 -- uid)
assert_contains "$ids" "uid=1000" "--user sets the uid"
assert_contains "$ids" "euid=1000" "and the effective uid"
assert_contains "$ids" "gid=1001" "--group sets the gid"
assert_contains "$ids" "groups=5" "--additional-group sets supplementary groups"
assert_contains "$(in_sandbox --user 1000 --group 1000 -- caps)" "CapEff=0000000000000000" "no capabilities as another user either"
assert_contains "$("$N" run --user nobody -- id)" "uid=65534(nobody) gid=65534(nogroup)" "names the sandbox knows: nobody"
assert_contains "$("$N" run --user 1000 --group 1000 -- sh -c 'echo x > /tmp/f && echo ok')" "ok" "/tmp is writable for any user"
assert_contains "$("$N" run --user 1000 --group 1000 -- sh -c 'echo x > /x' 2>&1 || true)" "ermission denied" "the root is not"
rc=0; err=$("$N" run --user 7 -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "a numeric --user without --group is refused"
assert_contains "$err" "needs --group" "as in the seed"
assert_contains "$("$N" run --user 70000 --group 1 -- true 2>&1 || true)" "ids inside a sandbox go from 0 to 65535" "ids outside the map are refused"

"$N" run -d --name u --user 1000 --group 1000 -- sleep 30 >/dev/null
wait_state u
assert_eq "1000" "$("$N" exec u id -u)" "exec runs as the sandbox's user"
"$N" rm -f u >/dev/null

out=$("$N" run --user 1000 --group 1000 --tmpfs /scratch:8M -- sh -c 'echo x > /scratch/f && stat -c "%u %a" /scratch')
assert_eq "1000 700" "$out" "--tmpfs: private (0700) and owned by the workload user"
assert_contains "$(in_sandbox --tmpfs /scratch:8M -- mounts | awk '$1 == "/scratch"')" "nosuid,nodev,noexec" "nosuid, nodev, noexec"
assert_contains "$(in_sandbox --tmpfs /scratch:8M -- mounts | awk '$1 == "/scratch"')" "size=8192k" "and size-capped"
assert_contains "$("$N" run --tmpfs /ro:1M:ro -- sh -c 'echo x > /ro/f' 2>&1 || true)" "Read-only file system" ":ro makes it read-only"
assert_contains "$("$N" run --tmpfs /etc/x -- true 2>&1 || true)" "tmpfs destination '/etc/x' is refused" "reserved destinations are refused"
assert_contains "$("$N" run --tmpfs /s:lots -- true 2>&1 || true)" "'lots' is neither a size" "a bad size is refused"
finish
