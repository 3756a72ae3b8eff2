#!/bin/bash
# What ctest runs (vm.cgroup_v2): sets up the test VM if needed (ctest's vm.setup
# fixture has done it already; here it is a quick check), boots ONE guest and runs the
# whole focused set (v2-limits.sh) in it, prints the guest's output and exits with its
# status.
#
# Exit 77 (a skip) when the VM cannot be had here (not root, no packages, no kernel,
# QEMU cannot boot it) -- unless NUCLEUS_TEST_STRICT=1, as in CI: then that fails (1).
# A test failure in the guest is 1, a guest that hangs is 124 from vmrun.sh.
# --setup-only: just the setup (with the same skip rules), for ctest's vm.setup.
#
#   env: NUCLEUS_BIN         directory with nucleus and nucleusd (default: <repo>/build/bin)
#        NUCLEUS_HELPER      the static test helper (default: $NUCLEUS_BIN/nucleus-test-helper)
#        NUCLEUS_VM_TIMEOUT  seconds for the guest (default 240; ctest allows 300 in all)
#        NUCLEUS_VM_CACHE    see setup.sh
set -euo pipefail

HERE=$(dirname "$(realpath "$0")")
export NUCLEUS_BIN=${NUCLEUS_BIN:-$HERE/../../build/bin}
NUCLEUS_BIN=$(realpath "$NUCLEUS_BIN")
# v2-limits.sh also runs integration/limits_missing.sh in the guest, which needs it.
export NUCLEUS_HELPER=${NUCLEUS_HELPER:-$NUCLEUS_BIN/nucleus-test-helper}

unavailable() {
    if [ "${NUCLEUS_TEST_STRICT:-0}" = 1 ]; then
        echo "FAIL (strict mode forbids skips): $*" >&2
        exit 1
    fi
    echo "SKIP: $*" >&2
    exit 77
}

[ "$(id -u)" = 0 ] || unavailable "the VM tests need root (setup installs packages; the guest mounts the host)"
[ -x "$NUCLEUS_BIN/nucleusd" ] && [ -x "$NUCLEUS_BIN/nucleus" ] || { echo "FAIL: no nucleus/nucleusd in $NUCLEUS_BIN" >&2; exit 1; }

t0=$(date +%s)
"$HERE/setup.sh" || unavailable "could not set up the test VM (see above)"
t1=$(date +%s)
if [ "${1:-}" = --setup-only ]; then     # ctest's vm.setup fixture
    echo "# VM set up in $((t1 - t0)) s"
    exit 0
fi
echo "# VM ready in $((t1 - t0)) s; running v2-limits.sh in the guest"

rc=0
"$HERE/vmrun.sh" --env NUCLEUS_BIN --env NUCLEUS_HELPER -- "$HERE/v2-limits.sh" || rc=$?
echo "# guest finished with status $rc after $(($(date +%s) - t1)) s"
# 125: vmrun.sh could not boot the guest or /init could not set it up (v2-limits.sh
# itself never exits 125). That is the machine, not Nucleus.
[ $rc -ne 125 ] || unavailable "the test VM did not boot (see above)"
exit $rc
