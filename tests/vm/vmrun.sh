#!/bin/bash
# Runs one command as root in a throw-away QEMU guest with a pure cgroup v2 hierarchy
# and returns its output and exit status. The guest sees the host's / read-only
# through 9p, overlaid with a tmpfs (it may write anywhere; nothing reaches the host),
# a fresh /tmp, and its own /proc, /sys, /dev and /sys/fs/cgroup. Run setup.sh first.
#
#   usage: vmrun.sh [options] [--] COMMAND [ARG...]
#     --env NAME     pass the host's $NAME into the guest (repeatable)
#     --timeout S    kill the VM after S seconds (default $NUCLEUS_VM_TIMEOUT or 240)
#     -m MB          guest memory (default 2048)
#     -c N           vCPUs (default: host CPUs, at most 4)
#     --keep         keep the run directory (console.log, qemu.log, stdout, stderr, rc)
#     --console      print the guest's kernel console on stderr at the end
#   env: NUCLEUS_VM_CACHE (default /var/cache/nucleus-vm), NUCLEUS_VM_ACCEL (default tcg)
#
# The command runs in the host's current directory (if it exists in the guest) with
# PATH, HOME=/root and the --env variables. Its stdout and stderr are streamed to ours
# while it runs. Exit status: the command's, or 124 on timeout, 125 if the VM failed
# (did not boot, or /init could not set up).
#
# Acceleration: KVM does not work on the machines this was written on (a nested PVM
# host), so the default is TCG, QEMU's emulator: ~20x slower for computation and ~100x
# for fork+exec. Keep what runs here small.
set -uo pipefail     # no -e: every failure below is mapped to 124/125 by hand

HERE=$(dirname "$(realpath "$0")")
CACHE=${NUCLEUS_VM_CACHE:-/var/cache/nucleus-vm}
TIMEOUT=${NUCLEUS_VM_TIMEOUT:-240}
MEM=2048
CPUS=$(nproc)
[ "$CPUS" -gt 4 ] && CPUS=4
ENVS=()
KEEP=0
CONSOLE=0

usage() { sed -n '7,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
    --env) ENVS+=("$2"); shift 2 ;;
    --timeout) TIMEOUT=$2; shift 2 ;;
    -m) MEM=$2; shift 2 ;;
    -c) CPUS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --console) CONSOLE=1; shift ;;
    --) shift; break ;;
    -h | --help) usage ;;
    -*) echo "vmrun: unknown option $1" >&2; usage ;;
    *) break ;;
    esac
done
[ $# -gt 0 ] || usage

KT=$CACHE/kernel
INITRD=$CACHE/initrd.gz
if ! [ -s "$KT/vmlinux" ] || ! [ -s "$INITRD" ] || ! command -v qemu-system-x86_64 >/dev/null; then
    echo "vmrun: no VM set up in $CACHE (run $HERE/setup.sh)" >&2
    exit 125
fi
KVER=$(ls "$KT/lib/modules" | head -1)

# The run directory is the guest's read-write "results" share: cmd.sh in; stdout,
# stderr and rc out. Readable for the guest's root (9p with security_model=none maps
# the guest's accesses to our own uid).
RUN=$(mktemp -d -t nucleus-vm.XXXXXX) || exit 125
chmod 755 "$RUN"
QPID=
cleanup() {
    [ -z "$QPID" ] || kill "$QPID" 2>/dev/null
    if [ $KEEP = 1 ]; then echo "vmrun: run directory kept: $RUN" >&2; else rm -rf "$RUN"; fi
}
trap cleanup EXIT
# ctest (or a user) stopping us must not leave a QEMU behind.
trap 'exit 143' TERM
trap 'exit 130' INT

# The command as a shell script, every word single-quoted.
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; }
{
    echo 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 NUCLEUS_VM=1'
    for e in "${ENVS[@]}"; do
        [ -z "${!e+set}" ] || echo "export $e=$(q "${!e}")"
    done
    echo "cd $(q "$PWD") 2>/dev/null || cd /"
    printf 'exec'
    for a in "$@"; do printf ' %s' "$(q "$a")"; done
    echo
} >"$RUN/cmd.sh"
: >"$RUN/stdout"
: >"$RUN/stderr"

# -kernel with the ELF vmlinux: QEMU boots it through its PVH entry, skipping the slow
# in-guest decompression. panic=-1 and -no-reboot: a guest that dies exits QEMU at once.
# multidevs=remap: the host's / spans several file systems; keeps inode numbers unique.
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -nodefaults -no-user-config \
    -accel "${NUCLEUS_VM_ACCEL:-tcg}" -cpu max -machine pc -smp "$CPUS" -m "$MEM" \
    -display none -no-reboot \
    -kernel "$KT/vmlinux" -initrd "$INITRD" \
    -append "console=ttyS0 quiet loglevel=4 panic=-1 mitigations=off nvm.moddir=$(realpath "$KT/lib/modules/$KVER")" \
    -serial "file:$RUN/console.log" \
    -virtfs "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap" \
    -virtfs "local,path=$RUN,mount_tag=results,security_model=none,multidevs=remap" \
    </dev/null >"$RUN/qemu.log" 2>&1 &
QPID=$!
# Follow the output as the guest writes it (cache=none on its side).
tail -q -n +1 -s 0.2 -f --pid=$QPID "$RUN/stdout" &
T1=$!
tail -q -n +1 -s 0.2 -f --pid=$QPID "$RUN/stderr" >&2 &
T2=$!
wait $QPID
QRC=$?
QPID=
wait $T1 $T2 2>/dev/null

if [ -s "$RUN/rc" ]; then
    RC=$(cat "$RUN/rc")
    # 125 from the guest is /init failing to set up; it says why on the console.
    [ "$RC" != 125 ] || grep -a 'nvm-init' "$RUN/console.log" >&2
elif [ $QRC = 124 ] || [ $QRC = 137 ]; then
    RC=124
    echo "vmrun: timeout: the guest did not finish in ${TIMEOUT}s; console tail:" >&2
    tail -n 20 "$RUN/console.log" >&2 2>/dev/null
else
    RC=125
    echo "vmrun: the VM failed (qemu status $QRC); qemu log and console tail:" >&2
    cat "$RUN/qemu.log" >&2
    tail -n 30 "$RUN/console.log" >&2 2>/dev/null
fi
if [ $CONSOLE = 1 ]; then
    echo "----- guest console -----" >&2
    cat "$RUN/console.log" >&2
fi
exit "$RC"
