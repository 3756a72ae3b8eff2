#!/bin/bash
# --require-kernel-lockdown LEVEL: nucleusd reads /sys/kernel/security/lockdown at each
# create and refuses, naming the level found and what is accepted; a level it cannot
# read is never assumed. Run twice: as the host is, and under a nucleusd in a mount
# namespace of its own with securityfs mounted, so the comparison itself is exercised
# against the kernel's real level.
. "$(dirname "$0")/lib.sh"
LD=/sys/kernel/security/lockdown

start_supervisor
if [ ! -e "$LD" ]; then
    out=$("$N" run --require-kernel-lockdown integrity -- true 2>&1) && fail "ran without a readable lockdown level" || true
    assert_contains "$out" "cannot read $LD" "an unreadable level refuses the sandbox, with the reason"
fi
assert_contains "$("$N" run --require-kernel-lockdown max -- true 2>&1 || true)" \
    "invalid --require-kernel-lockdown 'max': integrity or confidentiality" "a bad level is named with what is valid"
assert_eq "ok" "$("$N" run -- echo ok)" "without the flag nothing is checked"
stop_supervisor

# The same nucleusd binary, started inside a private mount namespace with securityfs.
REAL_ND=$ND
ND="$T/nucleusd-securityfs"
cat >"$ND" <<WRAP
#!/bin/sh
exec unshare -m --propagation private sh -c 'mountpoint -q /sys/kernel/security || mount -t securityfs securityfs /sys/kernel/security || exit 1; exec "\$0" "\$@"' "$REAL_ND" "\$@"
WRAP
chmod +x "$ND"
start_supervisor
level=$(unshare -m --propagation private sh -c "mountpoint -q /sys/kernel/security || mount -t securityfs securityfs /sys/kernel/security; cat $LD" 2>/dev/null |
        sed -n 's/.*\[\(.*\)\].*/\1/p')
[ -n "$level" ] || skip "this kernel has no lockdown LSM: $LD is missing even with securityfs mounted"
echo "# the kernel's lockdown level: $level"
for want in integrity confidentiality; do
    if [ "$level" = confidentiality ] || { [ "$level" = integrity ] && [ $want = integrity ]; }; then
        assert_eq "started" "$("$N" run --require-kernel-lockdown $want -- echo started 2>&1)" "level '$level' satisfies '$want'"
    else
        assert_contains "$("$N" run --require-kernel-lockdown $want -- true 2>&1 || true)" \
            "--require-kernel-lockdown $want: the kernel's lockdown is '$level'" "level '$level' does not satisfy '$want': refused, naming both"
    fi
done
if [ "$level" != none ]; then
    "$N" run --name ld --require-kernel-lockdown integrity -- true
    assert_contains "$("$N" inspect ld)" '"require_kernel_lockdown": "integrity"' "inspect shows the requirement in the spec"
fi
finish
