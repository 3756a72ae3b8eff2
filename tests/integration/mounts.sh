#!/bin/bash
# The root: tmpfs, read-only /usr, merged-/usr links, fresh /proc, nothing of the host.
. "$(dirname "$0")/lib.sh"
start_supervisor
m=$(in_sandbox -- mounts)
line() { awk -v p="$1" '$1 == p' <<<"$m" | head -1; }

assert_match "$(line /)" '^/ tmpfs .*nosuid,nodev,noexec' "root is a nosuid,nodev,noexec tmpfs"
assert_match "$(line /)" 'size=1048576k' "root tmpfs is capped at 1 GiB (the default)"
assert_match "$(line /usr)" '^/usr [a-z0-9]+ ro,nosuid,nodev' "/usr is read-only, nosuid, nodev"
assert_match "$(line /proc)" '^/proc proc .*nosuid,nodev,noexec' "/proc is a fresh procfs"
assert_match "$(line /etc)" '^/etc tmpfs ro,nosuid,nodev,noexec' "/etc is a read-only tmpfs"
for l in bin sbin lib lib64; do
    if [ -L /$l ]; then
        assert_eq "$(readlink /$l)" "$("$N" run -- readlink /$l)" "/$l is the host's symlink"
    fi
done
if [ -L /bin ] && [ -L /lib ]; then
    assert_eq 0 "$(awk '$1 ~ /^\/(bin|sbin|lib|lib64)$/' <<<"$m" | wc -l)" "merged /usr: no mounts for /bin /sbin /lib /lib64"
fi
assert_contains "$(in_sandbox -- write /usr/x)" "errno=EROFS" "/usr is not writable"
assert_contains "$(in_sandbox -- write /etc/x)" "errno=EROFS" "/etc is not writable"
assert_contains "$(in_sandbox -- write /tmp/x)" "result=ok" "/tmp is writable"
assert_contains "$(in_sandbox -- write /x)" "errno=EACCES" "nothing can be created at the top of the root (Landlock)"
assert_eq "1777" "$("$N" run -- stat -c %a /tmp)" "/tmp is 1777"
assert_eq "0" "$("$N" run -- find /home /root /run -mindepth 1 | wc -l)" "/home /root /run are empty"
assert_eq "no" "$("$N" run -- sh -c "test -e '$T' && echo yes || echo no")" "the host's test dir is invisible"
assert_eq "no" "$("$N" run -- sh -c 'test -e /var && echo yes || echo no')" "no /var from the host"
n=$(wc -l <<<"$m")
[ "$n" -le 30 ] && echo "ok - $n mounts" || fail "too many mounts: $n"

# --proc-rw: /proc writable, the masks still read-only; production refuses it (modes.sh).
assert_match "$(in_sandbox --proc-rw -- mounts | grep '^/proc ')" '^/proc proc rw,nosuid,nodev,noexec' "--proc-rw leaves /proc writable"
assert_match "$(in_sandbox --proc-rw -- mounts | grep '^/proc/kallsyms ')" ' ro,nosuid,nodev,noexec' "and the masks read-only"
finish
