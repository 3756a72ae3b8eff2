#!/bin/bash
# /etc: a curated read-only set of host files plus generated ones.
. "$(dirname "$0")/lib.sh"
start_supervisor

assert_eq "web" "$("$N" run --hostname web -- cat /etc/hostname)" "/etc/hostname"
assert_contains "$("$N" run --hostname web -- cat /etc/hosts)" "127.0.1.1	web" "/etc/hosts names the host"
assert_contains "$("$N" run -- cat /etc/hosts)" "127.0.0.1	localhost" "/etc/hosts has localhost"
passwd=$("$N" run -- cat /etc/passwd)
assert_contains "$passwd" "root:x:0:0:" "passwd has root"
assert_contains "$passwd" "nobody:x:65534:" "passwd has nobody"
assert_eq 2 "$(grep -c . <<<"$passwd")" "passwd has nothing of the host's users"
assert_contains "$("$N" run -- cat /etc/group)" "tty:x:5:" "group has tty"
assert_contains "$("$N" run -- cat /etc/resolv.conf)" "no network" "resolv.conf for a sandbox without network"
assert_eq "root" "$("$N" run -- whoami)" "user names resolve through nsswitch"
if [ -e /etc/ld.so.cache ]; then
    assert_eq "yes" "$("$N" run -- sh -c 'test -s /etc/ld.so.cache && echo yes')" "ld.so.cache is there"
fi
if [ -d /etc/alternatives ] && [ -e /etc/alternatives/awk ]; then
    assert_eq "3" "$("$N" run -- awk 'BEGIN { print 1 + 2 }')" "awk works through /etc/alternatives"
fi
if [ -e /etc/alternatives/which ]; then
    assert_eq "$(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin which sh)" "$("$N" run -- which sh)" \
        "which works through /etc/alternatives"
fi
assert_eq "no" "$("$N" run -- sh -c 'test -e /etc/shadow && echo yes || echo no')" "no /etc/shadow"
# The curated host files are the host's own, byte for byte.
for f in nsswitch.conf ssl/certs/ca-certificates.crt os-release; do
    [ -e "/etc/$f" ] || continue
    assert_eq "$(sha256sum <"/etc/$f")" "$("$N" run -- sh -c "sha256sum </etc/$f")" "/etc/$f is the host's"
done
# Everything in the sandbox's /etc is generated or taken from the host's; nothing else.
inside=$("$N" run -- ls -A /etc)
extra=""
for e in $inside; do
    case "$e" in hostname|hosts|passwd|group|resolv.conf) continue ;; esac
    [ -e "/etc/$e" ] || extra="$extra $e"
done
assert_eq "" "$extra" "no entry of /etc is invented"
for f in fstab apt machine-id crontab; do
    [ -e "/etc/$f" ] || continue
    assert_eq "no" "$(grep -qx "$f" <<<"$inside" && echo yes || echo no)" "host files outside the curated set stay out ($f)"
done
finish
