#!/bin/bash
# Prepares what tests/vm/vmrun.sh boots: QEMU, a Debian guest kernel and an initramfs.
#
# Why a VM at all: the hosts we test on have hybrid cgroups (v1 controllers, an empty
# cgroup2 at /sys/fs/cgroup/unified), so Nucleus's cgroup v2 limits backend
# (sandbox/cgroup_v2.c) never runs there. A small guest with a pure cgroup2 hierarchy
# does, and it needs no image: the host's / is shared into it read-only over 9p.
#
# Idempotent and quick when everything is in place (a stamp covers the initramfs).
#
#   usage: setup.sh            (as root)
#   env:   NUCLEUS_VM_CACHE    cache directory (default /var/cache/nucleus-vm)
#
# Cache layout:
#   debs/linux-image-*.deb   the downloaded kernel package (kept, so re-extraction is offline)
#   kernel/                  the package extracted with dpkg-deb -x (never installed)
#   kernel/vmlinux           the uncompressed kernel, booted through its PVH entry point
#   initrd.gz                busybox + the modules needed to mount the host + our /init
#   initrd.stamp             what initrd.gz was built from
set -euo pipefail

HERE=$(dirname "$(realpath "$0")")
CACHE=${NUCLEUS_VM_CACHE:-/var/cache/nucleus-vm}
# Needed before the host can be mounted, in load order: the virtio PCI transport, 9p
# over virtio, and overlayfs for a writable root over the read-only share.
MODULES="virtio virtio_ring virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci netfs fscache 9pnet 9pnet_virtio 9p overlay"
BB=/bin/busybox

log() { echo "vm-setup: $*" >&2; }
die() { log "$*"; exit 1; }

[ "$(id -u)" = 0 ] || die "needs root (installs packages, writes $CACHE)"
mkdir -p "$CACHE"
# Two test runs may set up at the same time (ctest -j): one does the work, the other waits.
exec 8>"$CACHE/.lock"
flock -w 900 8 || die "timed out waiting for $CACHE/.lock"

# --- 1. host packages --------------------------------------------------------------
# DPkg::Lock::Timeout: other sessions on the machine may be running apt; wait, don't fail.
APT=(apt-get -o DPkg::Lock::Timeout=600 -q)
# ldd fails on a static binary ("not a dynamic executable").
is_static() { [ -x "$1" ] && ! ldd "$1" >/dev/null 2>&1; }
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
# The initramfs needs a static busybox: nothing else runs before the host is mounted.
# (busybox-static replaces a dynamic busybox package; both provide /bin/busybox.)
is_static "$BB" || need+=(busybox-static)
command -v xz >/dev/null || need+=(xz-utils)
if [ ${#need[@]} -gt 0 ]; then
    log "installing ${need[*]}"
    # Recommends would pull in firmware images and UI bits this headless use never touches.
    inst() { DEBIAN_FRONTEND=noninteractive "${APT[@]}" install -y --no-install-recommends "${need[@]}" >&2; }
    inst || { "${APT[@]}" update >&2 && inst; } || die "could not install ${need[*]}"
fi
is_static "$BB" || die "$BB is not a static busybox"

# --- 2. the guest kernel -------------------------------------------------------------
# Debian's stock kernel: it has everything the tests touch (cgroup2 controllers, user
# namespaces, seccomp, Landlock) and 9p/overlay as modules. Once extracted it is reused
# as is, so later runs need no network and always test against the same kernel.
KT=$CACHE/kernel
if [ ! -d "$KT/lib/modules" ]; then
    mkdir -p "$CACHE/debs"
    deb=$(ls "$CACHE"/debs/linux-image-*.deb 2>/dev/null | head -1 || true)
    if [ -z "$deb" ]; then
        # linux-image-amd64 is a metapackage; what it depends on is the real image.
        resolve() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
        pkg=$(resolve)
        [ -n "$pkg" ] || { "${APT[@]}" update >&2; pkg=$(resolve); }
        [ -n "$pkg" ] || die "cannot resolve linux-image-amd64 (apt sources?)"
        log "downloading $pkg"
        # apt-get download writes to the current directory. Sandbox::User=root: _apt
        # cannot write to the root-owned cache, and apt would warn about it.
        dl() { (cd "$CACHE/debs" && "${APT[@]}" -o APT::Sandbox::User=root download "$pkg" >&2); }
        dl || { "${APT[@]}" update >&2 && dl; } || die "could not download $pkg"
        deb=$(ls "$CACHE"/debs/linux-image-*.deb | head -1)
    fi
    log "extracting $(basename "$deb")"
    rm -rf "$KT.tmp" && mkdir -p "$KT.tmp"
    dpkg-deb -x "$deb" "$KT.tmp"
    mv "$KT.tmp" "$KT"      # atomically: a half-extracted tree never looks complete
fi
KVER=$(ls "$KT/lib/modules" | head -1)
MD=$KT/lib/modules/$KVER
[ -s "$KT/boot/vmlinuz-$KVER" ] || die "no kernel image in $KT/boot"

# The package has no modules.dep (its postinst runs depmod); modprobe needs one, both in
# the initramfs and for modules the guest autoloads later from this tree over 9p.
[ -s "$MD/modules.dep" ] || "$BB" depmod -b "$KT" "$KVER"

# Under TCG, the bzImage's own xz decompressor takes seconds; the ELF vmlinux inside it
# boots directly (QEMU uses its PVH note). Its xz stream starts at the xz magic.
if ! head -c 4 "$KT/vmlinux" 2>/dev/null | grep -q ELF; then
    log "extracting vmlinux from vmlinuz-$KVER"
    for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$KT/boot/vmlinuz-$KVER" | cut -d: -f1); do
        # The bzImage has data after the xz stream, so xz complains at the end: ignore
        # its status and check the result instead.
        tail -c +$((off + 1)) "$KT/boot/vmlinuz-$KVER" | xz -dc >"$KT/vmlinux.tmp" 2>/dev/null || true
        head -c 4 "$KT/vmlinux.tmp" | grep -q ELF && break
    done
    head -c 4 "$KT/vmlinux.tmp" 2>/dev/null | grep -q ELF || die "no xz-compressed ELF kernel found in vmlinuz-$KVER"
    mv "$KT/vmlinux.tmp" "$KT/vmlinux"
fi

# --- 3. the initramfs ---------------------------------------------------------------
stamp="$KVER $MODULES $(sha256sum "$HERE/init" "$HERE/setup.sh" "$BB" | cut -d' ' -f1 | tr '\n' ' ')"
if [ -s "$CACHE/initrd.gz" ] && [ "$(cat "$CACHE/initrd.stamp" 2>/dev/null)" = "$stamp" ]; then
    exit 0      # the fast path: nothing changed
fi

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
mkdir -p "$T"/{bin,sbin,etc,proc,sys,dev,host,results,ovl,newroot} "$T/lib/modules/$KVER"
cp "$BB" "$T/bin/busybox"
for a in $("$BB" --list); do
    [ "$a" = busybox ] || ln -s busybox "$T/bin/$a"
done
# The kernel runs /sbin/modprobe for autoloading (set in /proc/sys/kernel/modprobe by init).
ln -s ../bin/busybox "$T/sbin/modprobe"

# Each wanted module that is not built in, with what it depends on (modules.dep lines
# are "path: dep-path dep-path ..."). Decompressed, in case the kernel ships .ko.xz.
files=()
loaded=()
for m in $MODULES; do
    line=$(awk -v m="$m" -F: '{ n = $1; sub(/.*\//, "", n); sub(/\.ko.*$/, "", n); gsub(/-/, "_", n) }
                             n == m { print; exit }' "$MD/modules.dep")
    [ -n "$line" ] || continue      # built into this kernel
    loaded+=("$m")
    for f in ${line/:/ }; do files+=("$f"); done
done
for f in $(printf '%s\n' "${files[@]}" | sort -u); do
    out="$T/lib/modules/$KVER/${f%.ko*}.ko"
    mkdir -p "$(dirname "$out")"
    case "$f" in
    *.ko) cp "$MD/$f" "$out" ;;
    *.ko.xz) xz -dc "$MD/$f" >"$out" ;;
    *.ko.zst) zstd -qdc "$MD/$f" >"$out" ;;
    *.ko.gz) gzip -dc "$MD/$f" >"$out" ;;
    *) die "unknown module format: $f" ;;
    esac
done
"$BB" depmod -b "$T" "$KVER"
# /init loads these in this order (modprobe pulls in anything else they need).
printf '%s\n' "${loaded[@]}" >"$T/etc/modules"
install -m 0755 "$HERE/init" "$T/init"

(cd "$T" && find . | "$BB" cpio -o -H newc 2>/dev/null) | gzip -1 >"$CACHE/initrd.gz.tmp"
mv "$CACHE/initrd.gz.tmp" "$CACHE/initrd.gz"
echo "$stamp" >"$CACHE/initrd.stamp"
log "built $CACHE/initrd.gz ($(du -h "$CACHE/initrd.gz" | cut -f1)) for $KVER; modules: ${loaded[*]}"
