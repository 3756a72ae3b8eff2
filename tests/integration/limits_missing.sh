#!/bin/bash
# A limit the host cannot apply is never silently ignored: agent mode runs the sandbox,
# warns on stderr and shows the limit under inspect's limits.not_applied; strict-agent
# and production refuse to run it.
#
# The missing piece is the I/O controller, taken away from this nucleusd only:
#   v1 (hybrid host): nucleusd runs in a mount namespace of its own without the blkio
#                     hierarchy, so it finds no v1 blkio at startup;
#   v2:               the cgroup root sits under a parent that hands out memory, pids
#                     and cpu but not io, so the leaves have no io.max.
. "$(dirname "$0")/lib.sh"

# What nucleusd picks (sandbox/cgroup.c): v2 where /sys/fs/cgroup is cgroup2, else v1.
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then backend=v2; else backend=v1; fi
case $backend in
v1)
    [ -d /sys/fs/cgroup/blkio ] || skip "this hybrid host has no v1 blkio hierarchy to hide"
    # unshare makes the new namespace's mounts private: the host keeps its blkio.
    ND_PREFIX=(unshare -m sh -c 'umount /sys/fs/cgroup/blkio && exec "$@"' sh)
    ;;
v2)
    parent=$(dirname "$NUCLEUS_CGROUP_ROOT")/nucleus-test-noio-$$
    mkdir "$parent"
    # Hooks run before lib.sh stops nucleusd, and the parent empties only after that.
    on_exit "stop_supervisor; rmdir '$parent/nucleus' '$parent'"
    echo "+memory +pids +cpu" >"$parent/cgroup.subtree_control"
    export NUCLEUS_CGROUP_ROOT=$parent/nucleus
    ;;
esac
echo "# backend: $backend, without its I/O controller"
start_supervisor
# A --rootfs is sent to nucleusd as a descriptor, and a tree can be cloned only from a
# mount in nucleusd's own namespace: production's runs go from in there (v1 case).
NS=()
[ $backend = v2 ] || NS=(nsenter -m -t "$SUP_PID")
ctl=$("$N" info | tr -d ' \n')
assert_contains "$ctl" "\"limits_backend\":\"$backend\"" "the same backend"
assert_not_contains "$ctl" '"blkio"' "nucleus info does not list an I/O controller (v1 name)"
assert_not_contains "$ctl" '"io"' "nucleus info does not list an I/O controller (v2 name)"

# Without the controller the device is never looked at (a test VM may have none).
dev=$(cat "$(ls /sys/block/*/dev 2>/dev/null | head -1)" 2>/dev/null || echo 8:0)
IO=(--io-limit "$dev riops=100")

# agent (the default): runs, warns, and inspect says which limit and why.
rc=0
out=$("$N" run --name agent "${IO[@]}" --memory 64M -- true 2>&1) || rc=$?
assert_eq 0 "$rc" "agent mode runs the sandbox"
assert_contains "$out" "nucleus: warning: limit io not applied:" "and warns on stderr"
insp=$(tr -d ' \n' <<<"$("$N" inspect agent)")
assert_match "$insp" "\"limits\":\\{\"backend\":\"$backend\",\"not_applied\":\\[\\{\"limit\":\"io\",\"reason\":\"[^\"]+\"\\}\\]\\}" \
    "inspect shows the io limit as not applied, with the reason"
assert_contains "$(cat "$T/nucleusd.log")" "limit io not applied" "nucleusd logs it"
"$N" rm agent >/dev/null
# What it could apply, it did.
"$N" run --name mem --memory 64M -- true 2>/dev/null
assert_contains "$("$N" wait --json mem)" '"memory_limit_bytes": 67108864' "the other limits still apply"
"$N" rm mem >/dev/null

refused() { # what run-args...: the run must fail with status 125 and say why
    local what=$1 out rc=0
    shift
    out=$("${NS[@]}" "$N" run "$@" 2>&1) || rc=$?
    assert_eq 125 "$rc" "$what: refused"
    assert_contains "$out" "limit io could not be applied in" "$what: says which limit"
}
refused "strict-agent" --strict-agent "${IO[@]}" -- true

# production: everything else it needs (docs/modes.md), so that only the limit fails.
R="$T/rootfs"
mkdir -p "$R/usr/bin" "$R/etc"
install -m 0755 "$NUCLEUS_HELPER" "$R/usr/bin/helper"
(cd "$R" && printf '%s\t%s\n' "$(sha256sum usr/bin/helper | cut -d' ' -f1)" usr/bin/helper) >"$R/.nucleus-rootfs-sha256"
P=(--service-mode production --rootfs "$R" --verify-rootfs-attestation --memory 64M --cpus 1)
rc=0; out=$("${NS[@]}" "$N" run "${P[@]}" -- /usr/bin/helper uid 2>&1) || rc=$?
if [ $rc = 125 ] && grep -q "production needs Landlock ABI 3 or newer" <<<"$out"; then
    # The test VM's 6.1 kernel (Landlock ABI 2): production does not run there at all,
    # and strict-agent above took the same fail-closed path (nc_mode_strict).
    echo "# production cannot run on this kernel ($out); its limit check is left to hosts that can"
else
    assert_eq 0 "$rc" "production runs without the io limit"
    [ $rc = 0 ] || echo "# $out"
    refused "production" "${P[@]}" "${IO[@]}" -- /usr/bin/helper uid
fi
finish
