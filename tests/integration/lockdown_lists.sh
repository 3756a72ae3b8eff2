#!/bin/bash
# The lock-down's lists and argument filters, item by item, from inside: every call on
# the kill list kills, each argument filter (clone, socket, ioctl, prctl, prlimit64,
# mprotect) refuses softly with EPERM what it must and lets through what it must,
# Landlock denies what is outside its rules, every masked /proc file reads empty, /sys
# is empty, rlimits set through the API apply, every LD_* variable is refused by name,
# and bad policy files are refused with the valid choices. The lists come from
# security_doc, the generator of docs/security.md, so this test walks what the code
# enforces, not a copy of it. (lockdown.sh covers the issue's headline checks.)
. "$(dirname "$0")/lib.sh"
start_supervisor

DOC="$NUCLEUS_BIN/security_doc"
[ -x "$DOC" ] || die "$DOC is missing (built with the tests)"
gen=$("$DOC")
# The backquoted words of the generated section that starts with $1, up to the next blank line.
doc_list() { awk -v h="$1" 'index($0, h) == 1 {on = 1; next} on && NF == 0 && n {exit} on && NF {n = 1; print}' <<<"$gen" | grep -o '`[^`]*`' | tr -d '`'; }
UNISTD=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
[ -r "$UNISTD" ] || skip "$UNISTD is missing (apt-get install linux-libc-dev)"

# seccomp: every call on the kill list kills (SIGSYS, 128+31), whatever its arguments.
killed=$(awk '/^### seccomp: calls that kill/ {on = 1; next} on && /^Any other/ {exit} on' <<<"$gen" | grep -o '`[a-z0-9_]*`' | tr -d '`')
[ "$(wc -w <<<"$killed")" -ge 40 ] || die "the kill list from security_doc is too short: $killed"
for sc in $killed; do
    nr=$(awk -v n="__NR_$sc" '$1 == "#define" && $2 == n {print $3}' "$UNISTD")
    [ -n "$nr" ] || { fail "$sc has no number in $UNISTD"; continue; }
    rc=0; out=$(in_sandbox -- try-syscall "nr:$nr" 2>&1) || rc=$?
    [ "$rc" = 159 ] || fail "$sc ($nr) must kill: exit $rc, $out"
done
echo "ok - each of the $(wc -w <<<"$killed") calls on the kill list kills the process"
# An unlisted call fails softly (EPERM) instead: sysinfo is on the opt-in list only.
assert_eq "result=errno errno=EPERM" "$(in_sandbox -- try-syscall "nr:$(awk '$2 == "__NR_sysinfo" {print $3}' "$UNISTD")")" \
    "a call on neither list fails with EPERM"

# Argument filters: EPERM for what they refuse, the call itself for what they allow.
probe() { # PROBE EXPECTED WHAT
    assert_eq "$2" "$(in_sandbox -- try-syscall "$1" </dev/null 2>&1)" "$3"
}
probe clone-newuser "result=errno errno=EPERM" "clone with a CLONE_NEW* flag fails with EPERM"
probe clone3 "result=errno errno=ENOSYS" "clone3 fails with ENOSYS"
probe socket-inet6 "result=ok" "socket(AF_INET6) works (loopback)"
probe socket-netlink-diag "result=errno errno=EPERM" "netlink other than NETLINK_ROUTE fails with EPERM"
probe ioctl-listed "result=ok" "a listed ioctl (FIONREAD) works"
probe ioctl-unlisted "result=errno errno=EPERM" "an unlisted ioctl (FIOQSIZE) fails with EPERM"
probe tiocsti "result=errno errno=EPERM" "TIOCSTI fails with EPERM (the kernel would say ENOTTY on /dev/null)"
probe prctl-dumpable "result=ok" "a listed prctl (PR_GET_DUMPABLE) works"
probe prctl-keepcaps "result=errno errno=EPERM" "an unlisted prctl (PR_SET_KEEPCAPS) fails with EPERM"
probe prlimit-self "result=ok" "prlimit64 may set the caller's own limit"
probe prlimit-other-read "result=ok" "prlimit64 may read another process's limit"
probe prlimit-other "result=errno errno=EPERM" "prlimit64 may not set another process's limit"
probe mprotect-wx "result=errno errno=EPERM" "mprotect to write+execute fails with EPERM"

# Landlock, default rules.
# The root tmpfs is writable and the workload owns it: EACCES can only be Landlock's.
assert_eq "result=errno errno=EACCES" "$(in_sandbox -- write /x)" "writing /x is denied by Landlock"
assert_eq "result=errno errno=EACCES" "$(in_sandbox -- write /root/x)" "writing /root/x is denied by Landlock"
rc=0; "$N" run -- sh -c 'cp /usr/bin/true /dev/shm/t && chmod +x /dev/shm/t && /dev/shm/t' 2>/dev/null || rc=$?
assert_eq 126 "$rc" "no execution from /dev/shm"
assert_contains "$("$N" run -- sh -c 'echo ok > /dev/shm/f && cat /dev/shm/f')" "ok" "/dev/shm is writable"
abi=$("$N" inspect "$("$N" run --name ll -- true; echo ll)" | jq -c '.security.landlock')
want='["refer","truncate"]'
case $(jq .abi <<<"$abi") in
    5) want='["refer","truncate","ioctl_dev"]' ;;
    6 | 7) want='["refer","truncate","ioctl_dev","scope_signal","scope_abstract_unix"]' ;;
esac
[ "$(jq .abi <<<"$abi")" -ge 3 ] || skip "the kernel's Landlock ABI is below 3: $abi"
# The newest ABI the kernel offers (landlock_create_ruleset(NULL, 0, VERSION)), capped at
# the newest Nucleus knows (7), is the one in force.
kabi=$(python3 -c 'import ctypes; print(ctypes.CDLL(None).syscall(444, None, 0, 1))')
assert_eq "$((kabi < 7 ? kabi : 7))" "$(jq .abi <<<"$abi")" "the highest Landlock ABI the kernel offers is negotiated"
assert_eq "$want" "$(jq -c .extras <<<"$abi")" "inspect lists the ABI extras in force"
# Reading outside the rules: every path outside the defaults is an empty directory, so a
# policy that leaves /proc out shows the denial on a real file.
printf 'min_abi = 1\n[[rules]]\npath = "/usr"\naccess = ["read", "execute"]\n' >"$T/usr.toml"
assert_eq "errno=EACCES (Permission denied)" "$("$N" run --landlock-policy "$T/usr.toml" -- "$H" read /proc/self/status 2>/dev/null)" \
    "reading a file outside a policy's rules is denied"
assert_eq "Name:" "$("$N" run -- "$H" read /proc/self/status | head -1 | cut -f1)" "the default rules allow reading /proc"

# init applies Landlock once, so the workload and every exec share one domain. With
# signal scoping (ABI 6) that is visible: an exec can signal the workload, and the same
# exec, after stacking a domain of its own, no longer can.
if [ "$(jq .abi <<<"$abi")" -ge 6 ]; then
    "$N" run -d --name shared -- sleep 100 >/dev/null
    wait_state shared
    pid=$("$N" exec shared sh -c 'for p in /proc/[0-9]*; do [ "$(cat $p/comm)" != sleep ] || echo ${p#/proc/}; done')
    assert_eq "same" "$("$N" exec shared sh -c "kill -0 $pid && echo same")" "an exec signals the workload: one Landlock domain"
    assert_eq "EPERM" "$("$N" exec shared python3 -c 'import ctypes, errno, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
attr = struct.pack("QQQ", 1, 0, 2)   # handle execute; scope signals
fd = libc.syscall(444, attr, len(attr), 0)
if fd < 0 or libc.prctl(38, 1, 0, 0, 0) or libc.syscall(446, fd, 0): sys.exit("landlock: %d" % ctypes.get_errno())
try: os.kill(int(sys.argv[1]), 0); print("allowed")
except OSError as e: print(errno.errorcode[e.errno])' "$pid")" "a process of another (nested) domain cannot"
    "$N" rm -f shared >/dev/null
fi

# TCP (Landlock ABI 4) is handled only when a policy lists ports: then bind and connect
# work on those alone, loopback included. Without ports, loopback TCP works (lockdown.sh).
if [ "$(jq .abi <<<"$abi")" -ge 4 ]; then
    printf 'min_abi = 4\n[[rules]]\npath = "/usr"\naccess = ["read", "execute"]\n[[rules]]\npath = "/etc"\naccess = ["read"]\n[[ports]]\nport = 8099\naccess = ["bind", "connect"]\n' >"$T/ports.toml"
    out=$("$N" run --name tcp --landlock-policy "$T/ports.toml" -- python3 -c 'import socket, errno
s = socket.socket(); s.bind(("127.0.0.1", 8099)); s.listen()
c = socket.create_connection(("127.0.0.1", 8099)); print("listed ok")
for what in ("bind", "connect"):
    t = socket.socket()
    try:
        getattr(t, what)(("127.0.0.1", 8100)); print(what, "allowed")
    except OSError as e: print(what, errno.errorcode[e.errno])' 2>&1)
    assert_eq "listed ok
bind EACCES
connect EACCES" "$out" "a policy's ports: bind and connect on them only"
    assert_contains "$("$N" inspect tcp | jq -c .security.landlock.extras)" '"tcp"' "inspect shows TCP handled"
    printf 'min_abi = 4\n[[rules]]\npath = "/usr"\naccess = ["read"]\n[[ports]]\nport = 80\naccess = ["listen"]\n' >"$T/badport.toml"
    assert_contains "$("$N" run --landlock-policy "$T/badport.toml" -- true 2>&1 || true)" \
        "ports[0].access[0]: use bind or connect" "a bad port right names the valid ones"
fi

# /proc: every masked file reads empty (not EACCES: the mask is a regular file) and
# cannot be written; every masked directory is empty; /sys is empty. Files this kernel
# does not have are not masked (there is nothing to hide).
masked=0
for f in $(doc_list "Mounted read-only. Masked by an empty read-only file:"); do
    out=$(in_sandbox -- read "$f" 2>/dev/null) || true
    case $out in
        '') masked=$((masked + 1))
            assert_eq "result=errno errno=EROFS" "$(in_sandbox -- write "$f")" "$f cannot be written" ;;
        errno=ENOENT*) ;;
        *) fail "$f does not read empty: $(head -c 80 <<<"$out")" ;;
    esac
done
[ "$masked" -ge 5 ] && echo "ok - the $masked masked /proc files this kernel has read empty" || fail "only $masked masked files found"
for d in $(doc_list "Masked by an empty read-only tmpfs:"); do
    out=$(in_sandbox -- ls "$d" 2>/dev/null) || true
    case $out in '' | errno=ENOENT*) ;; *) fail "$d is not masked: $(head -c 80 <<<"$out")" ;; esac
done
echo "ok - every masked /proc directory is empty"
for p in bus fs irq sys; do
    assert_contains "$(in_sandbox -- write "/proc/$p/x" 2>/dev/null || true)" "errno=E" "/proc/$p is not writable"
done
assert_eq "" "$(in_sandbox -- ls /sys)" "/sys is an empty directory"
assert_eq "" "$(in_sandbox -- mounts | awk '$1 ~ "^/sys"')" "nothing is mounted on /sys"

# rlimits set per sandbox through the API (the CLI has --memlock only).
out=$(timeout 20 python3 "$(dirname "$0")/api_client.py" \
    '@fds:{"jsonrpc":"2.0","id":1,"method":"sandbox.create","params":{"spec":{"args":["cat","/proc/self/limits"],"rlimits":{"nofile":256,"nproc":100,"memlock":131072,"core":4096}},"wait":true,"stdio":"passed"}}')
assert_match "$(grep 'Max open files' <<<"$out")" ' 256 +256 ' "spec.rlimits.nofile"
assert_match "$(grep 'Max processes' <<<"$out")" ' 100 +100 ' "spec.rlimits.nproc"
assert_match "$(grep 'Max locked memory' <<<"$out")" ' 131072 +131072 ' "spec.rlimits.memlock"
assert_match "$(grep 'Max core file size' <<<"$out")" ' 4096 +4096 ' "spec.rlimits.core"

# Environment: each variable that reaches the dynamic loader is refused by name.
for v in LD_PRELOAD LD_LIBRARY_PATH LD_AUDIT LD_DEBUG LD_PROFILE LD_DYNAMIC_WEAK LD_SHOW_AUXV LD_BIND_NOT LD_ORIGIN_PATH; do
    rc=0; err=$("$N" run -e "$v=/x" -- true 2>&1) || rc=$?
    [ "$rc" = 125 ] && grep -qF "$v is refused" <<<"$err" || fail "$v: exit $rc, $err"
done
echo "ok - every LD_* variable is refused, by name"

# A seccomp profile's args and errnoRet are honoured, not only its defaultAction
# (lockdown.sh): each probe makes the call with every argument zero.
nr() { awk -v n="__NR_$1" '$1 == "#define" && $2 == n {print $3}' "$UNISTD"; }
cat >"$T/args.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "architectures": ["SCMP_ARCH_X86_64"],
 "syscalls": [{"names": ["read", "write", "close", "mprotect", "brk", "ioctl", "execve", "readlink", "arch_prctl",
                         "set_tid_address", "newfstatat", "set_robust_list", "prlimit64", "getrandom", "rseq",
                         "exit_group", "mmap", "munmap", "uname"], "action": "SCMP_ACT_ALLOW"},
              {"names": ["dup"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 0}]},
              {"names": ["fchdir"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "op": "SCMP_CMP_EQ", "value": 7}]},
              {"names": ["umask"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
JSON
assert_eq "result=ok" "$(in_sandbox --seccomp-profile "$T/args.json" -- try-syscall "nr:$(nr dup)")" \
    "a profile's args: dup(0) matches index 0 == 0 and is allowed"
assert_eq "result=errno errno=ENOSYS" "$(in_sandbox --seccomp-profile "$T/args.json" -- try-syscall "nr:$(nr fchdir)")" \
    "a profile's args: fchdir(0) does not match index 0 == 7 and gets the default (ENOSYS, not the kernel's ENOTDIR)"
assert_eq "result=errno errno=EACCES" "$(in_sandbox --seccomp-profile "$T/args.json" -- try-syscall "nr:$(nr umask)")" \
    "a profile's errnoRet (13) is returned"

# Policy files: a wrong pin, and errors that give the key and the valid choices.
printf '[bounding]\nkeep = ["CHOWN"]\n' >"$T/caps.toml"
assert_contains "$("$N" run --caps-policy "$T/caps.toml" --caps-policy-sha256 "$(printf 'c%.0s' $(seq 64))" -- true 2>&1 || true)" \
    "SHA-256 mismatch" "a caps policy pin is checked"
printf '[permitted]\nkeep = ["CHOWN"]\n' >"$T/badtable.toml"
assert_contains "$("$N" run --caps-policy "$T/badtable.toml" -- true 2>&1 || true)" \
    "unknown table [permitted] (accepted: bounding, ambient, effective, inheritable)" "an unknown caps table names the valid ones"
printf 'min_abi = 1\n[[rules]]\npath = "/usr"\naccess = ["fly"]\n' >"$T/badaccess.toml"
assert_contains "$("$N" run --landlock-policy "$T/badaccess.toml" -- true 2>&1 || true)" \
    "rules[0].access[0]: use read, write, execute, create, remove, readdir, all or all_except_execute" "a bad Landlock right names the valid ones"
printf 'min_abi = 1\n[[rules]]\npath = "/usr"\naccess = ["read"]\nport = 80\n' >"$T/badkey.toml"
assert_contains "$("$N" run --landlock-policy "$T/badkey.toml" -- true 2>&1 || true)" \
    "rules[0]: unknown key 'port'" "an unknown Landlock key is named"
printf 'min_abi = 1\n[[rules]]\npath = "/usr"\naccess = ["read"\n' >"$T/broken.toml"
assert_match "$("$N" run --landlock-policy "$T/broken.toml" -- true 2>&1 || true)" "broken\.toml:[0-9]+:[0-9]+: " \
    "a Landlock TOML syntax error names the file, line and column"
echo '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_FLY"}]}' >"$T/badaction.json"
assert_match "$("$N" run --seccomp-profile "$T/badaction.json" -- true 2>&1 || true)" "syscalls\[0\]\.action.*SCMP_ACT_" \
    "a bad seccomp action names the member and the valid actions"
echo '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 9, "op": "SCMP_CMP_EQ", "value": 0}]}]}' >"$T/badarg.json"
assert_match "$("$N" run --seccomp-profile "$T/badarg.json" -- true 2>&1 || true)" "syscalls\[0\]\.args\[0\]" \
    "a bad seccomp argument rule names the member"
finish
