#!/bin/bash
# --secret SRC:DEST and --systemd-credential NAME:DEST: the CLI opens the file as the
# caller and passes the descriptor; init copies the bytes into a private tmpfs at
# /run/secrets (nosuid,nodev,noexec, 0500, owned by the workload user), each file 0400
# and read-only, bind-mounted read-only when DEST is elsewhere.
. "$(dirname "$0")/lib.sh"
start_supervisor
printf 's3cret\n' >"$T/key"
chmod 0600 "$T/key"

assert_eq "s3cret" "$("$N" run --secret "$T/key:/run/secrets/key" -- cat /run/secrets/key)" "a secret is readable at its destination"
assert_eq "s3cret" "$("$N" run --secret "$T/key:/opt/app/key" -- cat /opt/app/key)" "also outside /run/secrets"
assert_eq "1000 400" "$("$N" run --user 1000 --group 1000 --secret "$T/key:/run/secrets/key" -- stat -c '%u %a' /run/secrets/key)" \
    "owned by the workload user, mode 0400"
assert_eq "1000 500" "$("$N" run --user 1000 --group 1000 --secret "$T/key:/run/secrets/key" -- stat -c '%u %a' /run/secrets)" \
    "/run/secrets is private to that user"
assert_contains "$("$N" run --secret "$T/key:/run/secrets/key" -- sh -c 'echo x > /run/secrets/key' 2>&1 || true)" \
    "ermission denied" "a secret cannot be rewritten"
assert_contains "$("$N" run --secret "$T/key:/opt/app/key" -- sh -c 'echo x > /opt/app/key' 2>&1 || true)" \
    "Read-only file system" "nor its bind-mounted copy"
assert_contains "$(in_sandbox --secret "$T/key:/run/secrets/key" -- mounts | awk '$1 == "/run/secrets"')" \
    "nosuid,nodev,noexec" "/run/secrets is nosuid, nodev, noexec"
assert_eq "s3cret" "$(cat "$T/key")" "the host file is untouched"

mkdir -p "$T/creds"
printf 'from-systemd' >"$T/creds/db"
assert_eq "from-systemd" "$(CREDENTIALS_DIRECTORY="$T/creds" "$N" run --systemd-credential db:/run/secrets/db -- cat /run/secrets/db)" \
    "--systemd-credential reads \$CREDENTIALS_DIRECTORY/NAME"
assert_contains "$(env -u CREDENTIALS_DIRECTORY "$N" run --systemd-credential db:/run/secrets/db -- true 2>&1 || true)" \
    "CREDENTIALS_DIRECTORY is not set" "without a credentials directory it is refused, with the reason"
assert_contains "$(CREDENTIALS_DIRECTORY="$T/creds" "$N" run --systemd-credential ../key:/run/secrets/db -- true 2>&1 || true)" \
    "a credential name has no '/'" "a credential name cannot escape the directory"

assert_contains "$("$N" run --secret "$T/missing:/run/secrets/x" -- true 2>&1 || true)" "secret '$T/missing': No such file" "a missing source is named"
assert_contains "$("$N" run --secret "$T/key:/proc/x" -- true 2>&1 || true)" "'/proc/x' is refused" "reserved destinations are refused"
assert_contains "$("$N" run --secret "$T/key" -- true 2>&1 || true)" "use SRC:DEST" "the form is explained"
chmod 0600 "$T/key"
assert_contains "$(setpriv --reuid=1 --regid=1 --clear-groups -- "$N" run --secret "$T/key:/run/secrets/k" -- true 2>&1 || true)" \
    "Permission denied" "a caller can only pass a secret it can read itself"
assert_not_contains "$("$N" run --name s1 --secret "$T/key:/run/secrets/key" -- true; "$N" inspect s1)" "s3cret" "inspect never shows the content"
finish
