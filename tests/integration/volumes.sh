#!/bin/bash
# Volumes: the caller opens the source; nucleusd idmaps a detached tree through the
# sandbox's user namespace; init mounts it before Landlock. Read-only and read-write,
# owners as on the host, never executable, sensitive sources and reserved destinations
# refused.
. "$(dirname "$0")/lib.sh"
start_supervisor
mkdir -p "$T/vol/sub"
echo hello >"$T/vol/f"
chown 1234:1234 "$T/vol/sub"

assert_eq "hello" "$("$N" run -v "$T/vol:/data:ro" -- cat /data/f)" "a read-only volume is readable"
assert_contains "$("$N" run -v "$T/vol:/data:ro" -- sh -c 'echo x > /data/g' 2>&1 || true)" "Read-only file system" "and not writable"
"$N" run -v "$T/vol:/data" -- sh -c 'echo written > /data/new'
assert_eq "written" "$(cat "$T/vol/new")" "a read-write volume writes through to the host"
assert_eq "0:0" "$(stat -c %u:%g "$T/vol/new")" "as the host's root (idmapped: root inside is root outside, nowhere else)"
assert_eq "0 1234" "$("$N" run -v "$T/vol:/data:ro" -- stat -c '%u %g' /data/f /data/sub | tr '\n' ' ' | sed 's/ $//' | cut -d' ' -f1,4)" "owners show as on the host"
"$N" run -v "$T/vol/f:/etcfile.txt:ro" -- cat /etcfile.txt >/dev/null && echo "ok - a single file can be a volume" || fail "file volume"
assert_eq "hello" "$("$N" run -v "$T/vol/f:/mnt/deep/f:ro" -- cat /mnt/deep/f)" "missing parents of the destination are created"
cp /usr/bin/true "$T/vol/true"
rc=0; "$N" run -v "$T/vol:/data" -- /data/true 2>/dev/null || rc=$?
assert_eq 126 "$rc" "nothing on a volume is executable"
# The volume is nosuid inside, but the host honours a setuid bit on the same file: the
# workload (host root on a root caller's volume) must not be able to set one.
"$N" run -v "$T/vol:/data" -- sh -c 'chmod 4755 /data/true; chmod 2755 /data/true; python3 -c "import os; os.open(\"/data/suid\", os.O_CREAT | os.O_WRONLY, 0o6755)"' 2>/dev/null || true
assert_eq "755" "$(stat -c %a "$T/vol/true")" "no setuid or setgid bit can be set on a volume's file"
assert_eq "" "$(find "$T/vol" -perm /6000)" "nor created with one"
assert_contains "$("$N" run --name v1 -v "$T/vol:/data:ro" -- true; "$N" inspect v1)" "\"source\": \"$T/vol\"" "inspect lists the volume"

assert_contains "$("$N" run -v /etc:/data -- true 2>&1 || true)" "volume source '/etc' is refused" "/etc is never shared"
assert_contains "$("$N" run -v /:/data:ro -- true 2>&1 || true)" "volume source '/' is refused" "nor the host's root"
assert_contains "$("$N" run -v "$T/vol:/usr/lib/x" -- true 2>&1 || true)" "destination '/usr/lib/x' is refused" "reserved destinations are refused"
assert_contains "$("$N" run -v "$T/vol:/data/../etc" -- true 2>&1 || true)" "without . or .. components" "no .. in destinations"
assert_contains "$("$N" run -v "$T/nonexistent:/data" -- true 2>&1 || true)" "volume source '$T/nonexistent': No such file" "a missing source is named"
assert_contains "$("$N" run -v "$T/vol:/data:rx" -- true 2>&1 || true)" "the mode is ro or rw" "a bad mode is refused"
chmod 0555 "$T/vol/sub"
assert_contains "$(setpriv --reuid=1 --regid=1 --clear-groups -- "$N" run -v "$T/vol/sub:/data" -- true 2>&1 || true)" "volume source '$T/vol/sub': Permission denied (writing" \
    "a caller can only share what it can open itself (and write, for rw)"

# One mount per destination across --tmpfs, -v and --secret: the second one was mounted
# over the first without a word (the volume hidden), or failed late at setup.
echo s >"$T/secret"
for pair in "--tmpfs /d|--tmpfs /d/|two tmpfs mounts on '/d/'" "-v $T/vol:/d|--tmpfs /d|a tmpfs and a volume on '/d'" \
            "--secret $T/secret:/d|--tmpfs /d|a tmpfs and a secret on '/d'" "-v $T/vol:/d|-v $T/vol:/d/|two volume mounts on '/d/'" \
            "--secret $T/secret:/run/secrets/a|--secret $T/secret:/run/secrets/a|two secret mounts on '/run/secrets/a'"; do
    IFS='|' read -r first second want <<<"$pair"
    rc=0; err=$("$N" run --rm $first $second -- true 2>&1) || rc=$?
    assert_eq 125 "$rc" "$first $second: refused"
    assert_contains "$err" "$want" "$first $second: the error names both and the path"
done
finish
