#!/bin/bash
# exec -t/-i/-u and attach: a real pty from the sandbox's own devpts (allocated by init,
# its master held by the CLI), window size and resizes, identity, input, and an exec
# that dies with its client. pty_drive.py gives the CLI a terminal of a known size.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || skip "needs python3 (pty_drive.py)"
D="$(dirname "$0")/pty_drive.py"
start_supervisor

# A marker no other test's process has, for the process checks below.
"$N" run -d --name box -- sleep 4711 >/dev/null
wait_state box
procs() { "$N" exec box sh -c 'for p in /proc/[0-9]*; do tr "\0" " " <$p/cmdline; echo; done' 2>/dev/null; }

# -t: stdio is a terminal, the controlling one, of the sandbox's own devpts.
out=$(python3 "$D" --size 33 101 -- "$N" exec -t box "$H" tty | tr -d '\r')
assert_contains "$out" "ctty=1" "-t: the pty is the process's controlling terminal"
assert_match "$out" "name=/dev/pts/[0-9]+" "-t: a pty of the sandbox's /dev/pts"
assert_contains "$out" "rows=33" "-t: the caller's window height"
assert_contains "$out" "cols=101" "-t: the caller's window width"
out=$(python3 "$D" -- "$N" exec -t box "$H" isatty | tr -d '\r')
assert_contains "$out" "stdin=1" "-t: stdin is a tty inside"
assert_contains "$out" "stdout=1" "-t: stdout is a tty inside"
assert_contains "$out" "stderr=1" "-t: stderr is a tty inside"
# The pty lives in the sandbox's devpts instance, not the host's.
out=$(python3 "$D" -- "$N" exec -t box sh -c 'ls /dev/pts' | tr -d '\r')
assert_contains "$out" "ptmx" "the sandbox's devpts has its own ptmx"
# Without -t nothing is a terminal (the caller's stdio is passed as before).
assert_contains "$("$N" exec box "$H" isatty </dev/null)" "stdout=0" "without -t: the caller's stdio, no pty"

# A resize of the caller's terminal reaches the process (SIGWINCH + the new size).
out=$(python3 "$D" --size 24 80 --resize ready 50 132 -- "$N" exec -it box "$H" winch | tr -d '\r')
assert_contains "$out" "ready 24 80" "the initial size"
assert_contains "$out" "winch 50 132" "SIGWINCH with the new size after a resize"

# -i: keystrokes go in; the exit code comes back.
rc=0
out=$(python3 "$D" --send READY 'hello\r' -- "$N" exec -it box sh -c 'echo READY; read x; echo got=$x; exit 3' | tr -d '\r') || rc=$?
assert_contains "$out" "got=hello" "-i: input reaches the process"
assert_eq 3 "$rc" "-t: the exit code passes through"
# (The helper, not a shell: dash catches an early SIGINT and can miss it.)
rc=0
out=$(python3 "$D" --send ready '\x03' -- "$N" exec -it box "$H" signal-wait | tr -d '\r') || rc=$?
assert_contains "$out" "got=INT" "-it: ^C is the process's interrupt"
assert_eq 0 "$rc" "-it: ^C is not ours (we exit with the process's status)"
assert_eq "got=piped" "$(echo piped | "$N" exec -i box sh -c 'read x; echo got=$x')" "-i without -t: stdin is passed"
assert_eq "got=" "$("$N" exec box sh -c 'read x; echo got=$x' </dev/null)" "stdin stays the caller's without -i (today's default)"

# -u: the identity, in the forms run takes.
assert_eq "65534 65534" "$("$N" exec -u nobody box sh -c 'echo $(id -u) $(id -g)')" "-u nobody runs as 65534"
assert_eq "1000 100" "$("$N" exec -u 1000 --group 100 box sh -c 'echo $(id -u) $(id -g)')" "-u N --group G"
assert_eq "0" "$("$N" exec box id -u)" "without -u: the workload's user"
rc=0; err=$("$N" exec -u 1000 box true 2>&1) || rc=$?
assert_eq 2 "$rc" "a numeric -u without --group is a usage error"
assert_contains "$err" "needs --group" "and says so"
out=$(python3 "$D" -- "$N" exec -t -u nobody box sh -c 'stat -c %u $(tty)' | tr -d '\r')
assert_eq "65534" "$out" "the pty belongs to the exec'd user"
caps=$("$N" exec -u nobody box "$H" caps)
assert_contains "$caps" "CapEff=0000000000000000" "-u: no capabilities"
assert_contains "$caps" "Seccomp=2" "-u: under seccomp"

# TIOCSTI stays denied on the sandbox's own terminal too.
out=$(python3 "$D" -- "$N" exec -t box "$H" try-syscall tiocsti | tr -d '\r' || true)
assert_contains "$out" "errno=EPERM" "TIOCSTI is denied under -t"

# The exec dies with its client.
"$N" exec box sleep 4712 & cli=$!
for _ in $(seq 100); do procs | grep -q "sleep 4712" && break; sleep 0.05; done
assert_contains "$(procs)" "sleep 4712" "the exec'd process runs"
kill -KILL $cli; wait $cli 2>/dev/null || true
for _ in $(seq 100); do procs | grep -q "sleep 4712" || break; sleep 0.05; done
assert_not_contains "$(procs)" "sleep 4712" "SIGKILL of the exec client: the process is gone"
rc=0; python3 "$D" --kill READY -- "$N" exec -it box sh -c 'echo READY; exec sleep 4713' >/dev/null || rc=$?
assert_eq 137 "$rc" "the -t client was killed"
for _ in $(seq 100); do procs | grep -q "sleep 4713" || break; sleep 0.05; done
assert_not_contains "$(procs)" "sleep 4713" "SIGKILL of a -t exec client: the process is gone"
assert_contains "$(procs)" "sleep 4711" "the sandbox itself runs on"

"$N" rm -f box >/dev/null

# run -t / -it: the workload's own terminal, in the foreground.
out=$(python3 "$D" --size 30 90 -- "$N" run -t -- "$H" tty | tr -d '\r')
assert_contains "$out" "ctty=1" "run -t: the workload's controlling terminal"
assert_contains "$out" "rows=30" "run -t: the caller's size"
rc=0
out=$(python3 "$D" --send READY 'abc\r' -- "$N" run -it -- sh -c 'echo READY; read x; echo got=$x; exit 5' | tr -d '\r') || rc=$?
assert_contains "$out" "got=abc" "run -it: input reaches the workload"
assert_eq 5 "$rc" "run -t: the exit code passes through"
out=$(python3 "$D" --size 24 80 --resize ready 25 81 -- "$N" run -it -- "$H" winch | tr -d '\r')
assert_contains "$out" "winch 25 81" "run -t: resizes reach the workload"
assert_eq "xterm" "$(python3 "$D" -- env -u TERM "$N" run -t -- sh -c 'echo $TERM' | tr -d '\r')" "run -t sets TERM"

# run -d -t + attach: the terminal waits in nucleusd for one client at a time.
"$N" run -d -t --name tb -- sh -c 'echo early; while read x; do echo "got=$x"; [ "$x" = quit ] && exit 9; done' >/dev/null
wait_state tb
rc=0
out=$(python3 "$D" --send early 'hello\r' --send 'got=hello' '\x10\x11' -- "$N" attach tb 2>&1 | tr -d '\r') || rc=$?
assert_contains "$out" "early" "attach: output written before attaching is there"
assert_contains "$out" "got=hello" "attach: input reaches the workload"
assert_contains "$out" "detached from tb" "Ctrl-P Ctrl-Q detaches"
assert_eq 0 "$rc" "a detach exits 0"
assert_contains "$("$N" inspect tb)" '"state": "running"' "the sandbox runs on after a detach"
assert_contains "$("$N" inspect tb)" '"attachable": true' "inspect: the terminal can be attached"
# The first client proves it is attached: its input came back through the workload.
python3 "$D" --timeout 30 --send '' 'first\r' --touch got=first "$T/attached" -- "$N" attach tb >/dev/null 2>&1 & first=$!
for _ in $(seq 200); do [ -e "$T/attached" ] && break; sleep 0.05; done
[ -e "$T/attached" ] || fail "the first attach client did not get through"
rc=0; err=$(timeout 10 "$N" attach tb 2>&1 </dev/null) || rc=$?
assert_eq 1 "$rc" "a second attached client is refused"
assert_contains "$err" "already has a client attached" "and told why"
kill $first 2>/dev/null; wait $first 2>/dev/null || true
rc=0
out=$(python3 "$D" --send '' 'quit\r' -- "$N" attach tb | tr -d '\r') || rc=$?
assert_contains "$out" "got=quit" "attach again after the first client left"
assert_eq 9 "$rc" "attach exits with the workload's status"
rc=0; err=$("$N" attach tb -- echo ok 2>&1) || rc=$?
assert_contains "$err" "exec needs a running sandbox" "attach ID -- CMD on an exited sandbox fails like exec"
"$N" run -d --name plain -- sleep 4714 >/dev/null
wait_state plain
rc=0; err=$("$N" attach plain 2>&1) || rc=$?
assert_eq 1 "$rc" "attach to a sandbox without -t fails"
assert_contains "$err" "no terminal to attach to" "and says why"
assert_eq "ok" "$("$N" attach plain -- echo ok)" "attach ID -- CMD is still exec"
rc=0; err=$("$N" run -d -i -- true 2>&1) || rc=$?
assert_contains "$err" "-d -i needs -t" "run -d -i without -t is refused"
"$N" rm -f tb plain >/dev/null
finish
