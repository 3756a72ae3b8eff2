#!/bin/bash
# --rootfs replaces the host's /usr and /etc; --verify-rootfs-attestation checks it
# file by file against .nucleus-rootfs-sha256 and names what differs.
. "$(dirname "$0")/lib.sh"
start_supervisor

R="$T/rootfs"
mkdir -p "$R/usr/bin" "$R/etc/app"
install -m 0755 "$NUCLEUS_HELPER" "$R/usr/bin/helper"
ln -s usr/bin "$R/bin"
echo "from the rootfs" >"$R/etc/app/motd"
# The seed's mkRootfs manifest: every regular file, symlinks followed (find -L).
manifest() {
    (cd "$R" && find -L . -type f ! -name .nucleus-rootfs-sha256 | sed 's|^\./||' | LC_ALL=C sort |
        while read -r f; do printf '%s\t%s\n' "$(sha256sum "$f" | cut -d' ' -f1)" "$f"; done) >"$R/.nucleus-rootfs-sha256"
}
manifest

assert_contains "$("$N" run --rootfs "$R" -- helper uid)" "uid=0" "a rootfs workload runs, found on PATH"
assert_eq "f 0755 0:0 helper" "$("$N" run --rootfs "$R" -- /bin/helper ls /usr/bin)" \
    "/usr is the rootfs's (nothing of the host's), root-owned through the idmap"
assert_eq "l 0777 0:0 bin -> usr/bin" "$("$N" run --rootfs "$R" -- helper ls / | grep ' bin')" "links are recreated as they are"
assert_eq "from the rootfs" "$("$N" run --rootfs "$R" -- helper read /etc/app/motd)" "/etc is the rootfs's"
assert_not_contains "$("$N" run --rootfs "$R" -- helper ls /etc)" "ld.so.cache" "no host file in /etc"
out=$("$N" run --rootfs "$R" -- helper write /usr/bin/x data 2>&1 || true)
assert_contains "$out" "errno=EROFS" "the rootfs is read-only, even for root inside"
assert_match "$("$N" run --rootfs "$R" -- helper mounts | grep '^/usr ')" " ro,nosuid,nodev" "the rootfs is ro,nosuid,nodev"

# Attestation.
assert_contains "$("$N" run --rootfs "$R" --verify-rootfs-attestation -- helper uid)" "uid=0" "an intact rootfs passes"
"$N" run -d --name att --rootfs "$R" --verify-rootfs-attestation -- helper sleep 30 >/dev/null
wait_state att
rep=$("$N" inspect att | python3 -c 'import json,sys; r=json.load(sys.stdin)["rootfs"]; print(r["source"], r["attestation"]["files"])')
assert_eq "$R 3" "$rep" "inspect shows the rootfs and the files attested (bin/helper through the link)"
"$N" rm -f att >/dev/null

echo "tampered" >>"$R/etc/app/motd"
rc=0; out=$("$N" run --rootfs "$R" --verify-rootfs-attestation -- helper uid 2>&1) || rc=$?
assert_eq 125 "$rc" "a changed file refuses the sandbox"
assert_contains "$out" "1 changed, 0 missing, 0 extra (first: changed etc/app/motd)" "the changed file is named"
manifest
echo x >"$R/usr/bin/dropped-in"
out=$("$N" run --rootfs "$R" --verify-rootfs-attestation -- helper uid 2>&1 || true)
assert_contains "$out" "0 changed, 0 missing, 2 extra" "an extra file refuses it (seen as itself and through bin)"
rm "$R/usr/bin/dropped-in"
mv "$R/etc/app/motd" "$T/motd"
out=$("$N" run --rootfs "$R" --verify-rootfs-attestation -- helper uid 2>&1 || true)
assert_contains "$out" "missing etc/app/motd" "a missing file refuses it"
mv "$T/motd" "$R/etc/app/motd"
ln -s /etc/shadow "$R/etc/app/escape"
manifest    # find -L on the host follows the link to the host's /etc/shadow and hashes it
assert_contains "$("$N" run --rootfs "$R" --verify-rootfs-attestation -- helper uid 2>&1 || true)" "missing etc/app/escape" \
    "a link out of the rootfs resolves inside it, as the sandbox sees it: the host's file is never read"
rm "$R/etc/app/escape"
manifest
mv "$R/.nucleus-rootfs-sha256" "$T/m"
assert_contains "$("$N" run --rootfs "$R" --verify-rootfs-attestation -- helper uid 2>&1 || true)" \
    "cannot open .nucleus-rootfs-sha256" "no manifest, no start"
printf 'nothex\tusr/bin/helper\n' >"$R/.nucleus-rootfs-sha256"
assert_contains "$("$N" run --rootfs "$R" --verify-rootfs-attestation -- helper uid 2>&1 || true)" \
    "line 1: expected '<sha256 hex>\\t<path>'" "a malformed manifest is refused with its line"
mv "$T/m" "$R/.nucleus-rootfs-sha256"

# Refusals.
touch "$R/.nucleus-rootfs-store-paths"
assert_contains "$("$N" run --rootfs "$R" -- helper uid 2>&1 || true)" "mounting host store paths is not supported" \
    "the seed's store-path list is refused, not ignored"
rm "$R/.nucleus-rootfs-store-paths"
mkdir -p "$T/empty"
assert_contains "$("$N" run --rootfs "$T/empty" -- helper uid 2>&1 || true)" "rootfs has neither usr nor bin" \
    "a directory that is no root file system is refused"
assert_contains "$("$N" run --rootfs "$T/missing" -- helper uid 2>&1 || true)" "--rootfs '$T/missing': No such file" \
    "a missing rootfs is the caller's error"
assert_contains "$("$N" run --verify-rootfs-attestation -- true 2>&1 || true)" "--verify-rootfs-attestation needs --rootfs" \
    "attestation without a rootfs is refused"
finish
