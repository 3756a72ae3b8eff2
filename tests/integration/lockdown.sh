#!/bin/bash
# The default lock-down, seen from inside: no capabilities, no_new_privs, the seccomp
# filter (dangerous calls kill, filtered arguments fail with EPERM), masked and
# read-only /proc, rlimits; and ordinary programs still work.
. "$(dirname "$0")/lib.sh"
start_supervisor

# --seccomp-log-denied: the kernel logs calls the filter refuses (audit type 1326). The
# kernel rate-limits these lines across the host, so a few tries, 5 s apart.
logged=no
for _ in 1 2 3; do
    in_sandbox --seccomp-log-denied -- try-syscall socket-raw >/dev/null
    for _ in $(seq 20); do   # kauditd prints asynchronously
        if dmesg | grep "type=1326" | grep -F "exe=\"$H\"" | grep -q "syscall=41 "; then logged=yes; break 2; fi
        sleep 0.05
    done
    sleep 5
done
assert_eq yes "$logged" "--seccomp-log-denied: the refused socket(2) is in the kernel's log"

caps=$(in_sandbox -- caps)
for set in CapInh CapPrm CapEff CapBnd CapAmb; do
    assert_eq "$set=0000000000000000" "$(grep "^$set=" <<<"$caps")" "$set is empty"
done
assert_contains "$caps" "NoNewPrivs=1" "no_new_privs is set"
assert_contains "$caps" "Seccomp=2" "a seccomp filter is loaded"

# Never-allowed calls kill the process: SIGSYS, 128+31.
for sc in ptrace unshare mount bpf keyctl io_uring_setup setns pivot_root userfaultfd perf_event_open; do
    rc=0; in_sandbox -- try-syscall $sc >/dev/null 2>&1 || rc=$?
    assert_eq 159 "$rc" "$sc kills the process"
done
assert_contains "$(in_sandbox -- try-syscall clone3)" "errno=ENOSYS" "clone3 fails with ENOSYS (libc falls back to clone)"
# Another ABI's numbers (x32, i386 through int 0x80) are not checked against this
# allowlist: they kill as a bad architecture.
for sc in x32-getpid int80-getpid; do
    rc=0; in_sandbox -- try-syscall $sc >/dev/null 2>&1 || rc=$?
    assert_eq 159 "$rc" "$sc kills the process"
done
# No setuid or setgid bit, through any call that sets a mode (on a read-write volume the
# file is the host's, and a host user could run it). EPERM from the filter; ENOENT is
# the kernel's answer for the missing path, i.e. the call went through.
for sc in chmod-suid chmod-sgid fchmodat2-suid open-creat-suid creat-sgid; do
    assert_contains "$(in_sandbox -- try-syscall $sc)" "errno=EPERM" "$sc is refused"
done
for sc in chmod-plain open-nocreat-mode; do
    assert_contains "$(in_sandbox -- try-syscall $sc)" "errno=ENOENT" "$sc goes through"
done
assert_contains "$(in_sandbox -- try-syscall socket-raw)" "errno=EPERM" "raw sockets are denied"
assert_contains "$(in_sandbox -- try-syscall socket-packet)" "errno=EPERM" "packet sockets are denied"
assert_contains "$(in_sandbox -- try-syscall socket-inet)" "result=ok" "TCP sockets work (loopback)"
assert_contains "$(in_sandbox -- try-syscall socket-unix)" "result=ok" "Unix sockets work"
assert_contains "$(in_sandbox -- try-syscall socket-netlink)" "result=ok" "netlink route sockets work (getaddrinfo)"
assert_contains "$("$N" run -- python3 -c 'import fcntl, termios, sys
try:
    fcntl.ioctl(0, termios.TIOCSTI, b"x"); print("allowed")
except OSError as e: print("errno", e.errno)' </dev/null)" "errno 1" "TIOCSTI is denied with EPERM"
assert_contains "$("$N" run -- python3 -c 'import mmap, ctypes
libc = ctypes.CDLL(None)
m = libc.mmap(None, 4096, 3, 0x22, -1, 0)
print("rc", libc.mprotect(ctypes.c_void_p(m), 4096, 7), ctypes.get_errno())' 2>&1)" "rc -1" "mprotect to write+execute is denied"

# /proc
assert_eq "0" "$("$N" run -- sh -c 'cat /proc/kallsyms /proc/keys /proc/timer_list >/tmp/m && wc -c </tmp/m')" "host-kernel files in /proc read empty"
assert_contains "$("$N" run -- sh -c 'echo 1 > /proc/sys/kernel/ns_last_pid' 2>&1 || true)" "Read-only file system" "/proc/sys cannot be written"
assert_match "$(in_sandbox -- mounts | awk '$1 == "/proc"')" '^/proc proc ro,' "/proc is read-only"

# rlimits
lim=$("$N" run -- cat /proc/self/limits)
assert_match "$(grep 'Max open files' <<<"$lim")" '1024 +1024' "RLIMIT_NOFILE 1024"
assert_match "$(grep 'Max processes' <<<"$lim")" '512 +512' "RLIMIT_NPROC 512"
assert_match "$(grep 'Max locked memory' <<<"$lim")" '65536 +65536' "RLIMIT_MEMLOCK 64 KiB"
assert_match "$(grep 'Max core file size' <<<"$lim")" ' 0 +0 ' "RLIMIT_CORE 0"

# Landlock
assert_contains "$("$N" inspect "$("$N" run --name ll -- true; echo ll)" | tr -d ' \n')" '"landlock":{"abi":' "inspect shows the Landlock ABI in effect"
rc=0; "$N" run -- sh -c 'cp /usr/bin/true /tmp/t && chmod +x /tmp/t && /tmp/t' 2>/dev/null || rc=$?
assert_eq 126 "$rc" "no execution from /tmp"
rc=0; "$N" run -- sh -c 'cp /usr/bin/true /tmp/t && /lib64/ld-linux-x86-64.so.2 /tmp/t' 2>/dev/null || rc=$?
assert_ne 0 "$rc" "not even through the dynamic loader (noexec root)"
assert_contains "$(in_sandbox -- write /etc/x)" "errno=E" "/etc is not writable"
assert_contains "$(in_sandbox -- write /home/x)" "errno=EACCES" "/home is not writable"
assert_contains "$(in_sandbox -- write /dev/null)" "result=ok" "/dev/null is writable"
assert_contains "$(in_sandbox -- write /dev/urandom)" "errno=EACCES" "/dev/urandom is not writable"
assert_eq "ok" "$("$N" run -- python3 -c 'import os, pty; m, s = pty.openpty(); os.write(s, b"x"); print("ok" if os.read(m, 1) == b"x" else "no")')" "a pseudo-terminal works"

# Opt-ins and per-sandbox limits
sysinfo='import ctypes; b = ctypes.create_string_buffer(256); print("rc", ctypes.CDLL(None, use_errno=True).sysinfo(b), ctypes.get_errno())'
assert_contains "$("$N" run -- python3 -c "$sysinfo")" "rc -1 1" "sysinfo is denied (EPERM) by default"
assert_contains "$("$N" run --seccomp-allow sysinfo -- python3 -c "$sysinfo")" "rc 0 0" "--seccomp-allow sysinfo allows it"
rc=0; err=$("$N" run --seccomp-allow ptrace -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "a call off the opt-in list is refused"
assert_contains "$err" "'ptrace' cannot be allowed: it is not on the opt-in list" "and the error says why"
rc=0; in_sandbox --seccomp-allow io_uring_setup -- try-syscall io_uring_setup >"$T/uring" 2>&1 || rc=$?
assert_ne 159 "$rc" "an opted-in call that kills by default no longer kills"
assert_match "$("$N" run --memlock 1M -- cat /proc/self/limits | grep 'Max locked memory')" '1048576 +1048576' "--memlock sets RLIMIT_MEMLOCK"
assert_contains "$("$N" run --memlock 1X -- true 2>&1 || true)" "invalid --memlock '1X'" "a bad size is refused"
rc=0; err=$("$N" run --memlock 1000G -- true 2>&1) || rc=$?
if [ "$(ulimit -H -l)" != unlimited ]; then
    assert_contains "$err" "above the supervisor's own hard limit" "a limit above the supervisor's is refused"
fi

# A seccomp profile (OCI format) passed as a descriptor, pinned by SHA-256.
cat >"$T/profile.json" <<'JSON'
{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "architectures": ["SCMP_ARCH_X86_64"],
 "syscalls": [{"names": ["read", "write", "close", "mprotect", "brk", "ioctl", "execve", "readlink", "arch_prctl",
                         "set_tid_address", "newfstatat", "set_robust_list", "prlimit64", "getrandom", "rseq",
                         "exit_group", "mmap", "munmap", "uname"], "action": "SCMP_ACT_ALLOW"}]}
JSON
sum=$(sha256sum "$T/profile.json" | cut -c1-64)
assert_contains "$(in_sandbox --seccomp-profile "$T/profile.json" --seccomp-profile-sha256 "$sum" -- try-syscall socket-unix)" "errno=ENOSYS" \
    "the profile's defaultAction (ERRNO 38) applies to an unlisted call"
rc=0; in_sandbox --seccomp-profile "$T/profile.json" -- try-syscall bpf >/dev/null 2>&1 || rc=$?
assert_eq 159 "$rc" "what Nucleus never allows still kills under a profile"
assert_contains "$("$N" inspect "$("$N" run --name prof --seccomp-profile "$T/profile.json" -- true >/dev/null 2>&1; echo prof)")" "\"seccomp_profile_sha256\": \"$sum\"" "inspect shows the profile's hash"
rc=0; err=$("$N" run --seccomp-profile "$T/profile.json" --seccomp-profile-sha256 "$(printf 'a%.0s' $(seq 64))" -- true 2>&1) || rc=$?
assert_eq 125 "$rc" "a wrong pin is refused"
assert_contains "$err" "SHA-256 mismatch" "and says so"
echo '{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["bpf"], "action": "SCMP_ACT_ALLOW"}]}' >"$T/wide.json"
assert_contains "$("$N" run --seccomp-profile "$T/wide.json" -- true 2>&1 || true)" "'bpf' cannot be allowed" "a profile cannot allow what Nucleus never allows"
echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}' >"$T/allow.json"
assert_contains "$("$N" run --seccomp-profile "$T/allow.json" -- true 2>&1 || true)" "defaultAction must deny" "a profile must deny by default"
printf '{"defaultAction":\n' >"$T/broken.json"
assert_contains "$("$N" run --seccomp-profile "$T/broken.json" -- true 2>&1 || true)" "line 2" "a syntax error names the line"
assert_contains "$("$N" run --seccomp-profile /nonexistent.json -- true 2>&1 || true)" "Failed to open seccomp profile '/nonexistent.json'" "a missing file is named"

# Capability and Landlock policies in the seed's TOML.
cat >"$T/caps.toml" <<'TOML'
[bounding]
keep = ["NET_BIND_SERVICE"]
TOML
out=$("$N" run --caps-policy "$T/caps.toml" --caps-policy-sha256 "$(sha256sum "$T/caps.toml" | cut -c1-64)" -- \
      python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 80)); print(open("/proc/self/status").read())')
assert_contains "$out" "CapEff:	0000000000000400" "a caps policy keeps exactly NET_BIND_SERVICE"
assert_contains "$out" "CapBnd:	0000000000000400" "and the bounding set holds only it"
assert_contains "$(in_sandbox -- caps)" "CapEff=0000000000000000" "without a policy, nothing is kept"
printf '[bounding]\nkeep = ["NOT_A_CAP"]\n' >"$T/badcaps.toml"
assert_contains "$("$N" run --caps-policy "$T/badcaps.toml" -- true 2>&1 || true)" "unknown capability 'NOT_A_CAP'" "an unknown capability is refused"
printf '[bounding]\nkeep = [\n' >"$T/broken.toml"
assert_contains "$("$N" run --caps-policy "$T/broken.toml" -- true 2>&1 || true)" "broken.toml:" "a TOML syntax error names the file and position"
cat >"$T/ll.toml" <<'TOML'
min_abi = 3
[[rules]]
path = "/usr"
access = ["read", "execute"]
[[rules]]
path = "/etc"
access = ["read"]
TOML
assert_contains "$("$N" run --landlock-policy "$T/ll.toml" -- sh -c 'cat /etc/hosts && echo ok')" "ok" "a Landlock policy allows what it lists"
assert_contains "$("$N" run --landlock-policy "$T/ll.toml" -- sh -c 'ls /tmp' 2>&1 || true)" "Permission denied" "and denies what it leaves out"
printf 'min_abi = 3\n[[rules]]\npath = "/nonexistent"\naccess = ["read"]\n' >"$T/ll-missing.toml"
assert_contains "$("$N" run --landlock-policy "$T/ll-missing.toml" -- true 2>&1 || true)" "/nonexistent" "a rule for a missing path names it"
assert_contains "$("$N" run --landlock-policy "$T/ll.toml" --landlock-policy-sha256 "$(printf 'b%.0s' $(seq 64))" -- true 2>&1 || true)" "SHA-256 mismatch" "a Landlock policy pin is checked"

# Ordinary programs still work.
assert_eq "3 2 1" "$("$N" run -- sh -c 'seq 3 | sort -r | tr "\n" " " | sed "s/ $//"')" "a shell pipeline"
assert_contains "$("$N" run -- ls -la /)" "usr" "ls -la /"
assert_eq "hi" "$("$N" run -- sh -c 'echo hi > /tmp/f && cat /tmp/f')" "writing /tmp"
assert_contains "$("$N" run -- python3 -c 'import socket; print(socket.getaddrinfo("localhost", 80)[0][4][0])')" "1" "getaddrinfo of localhost"
assert_eq "b'ping'" "$("$N" run -- python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
c = socket.create_connection(s.getsockname()); a, _ = s.accept()
c.send(b"ping"); print(a.recv(4))')" "a TCP server and client on 127.0.0.1"
assert_contains "$("$N" run -- python3 -c 'import threading, subprocess; t = threading.Thread(target=print, args=("thread",)); t.start(); t.join(); print(subprocess.run(["true"]).returncode)')" "thread" "threads and subprocesses in python3"

# This suite runs twice (ctest lockdown and lockdown_cold): the sandboxes above were
# prepared by the warm pool, or each cloned on demand. Which one is asserted, so neither
# run silently tests the other path.
hits=$("$N" info | jq '[.pool.profiles[]?.hits] | add // 0')
misses=$("$N" info | jq '.create_latency.pool_miss.count')
if [ "${NUCLEUS_TEST_POOL:-on}" = off ]; then
    assert_eq 0 "$hits" "cold run: no sandbox came from the pool"
    [ "$misses" -gt 30 ] && echo "ok - cold run: $misses sandboxes cloned on demand" || fail "only $misses cold creates"
else
    [ "$hits" -gt 30 ] && echo "ok - $hits sandboxes came from the warm pool ($misses cloned on demand)" \
        || fail "only $hits pool hits ($misses misses)"
fi
finish
