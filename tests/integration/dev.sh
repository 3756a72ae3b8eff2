#!/bin/bash
# /dev actually works: bound host nodes on a 0755 tmpfs, a new devpts, /dev/shm.
. "$(dirname "$0")/lib.sh"
start_supervisor

assert_eq "ok" "$("$N" run -- sh -c 'echo x > /dev/null && echo ok')" "echo x > /dev/null works"
assert_eq "4" "$("$N" run -- sh -c 'head -c 4 /dev/zero | wc -c')" "/dev/zero reads"
assert_eq "16" "$("$N" run -- sh -c 'head -c 16 /dev/urandom | wc -c')" "/dev/urandom reads"
assert_contains "$(in_sandbox -- write /dev/full)" "errno=ENOSPC" "/dev/full is full"
ls_dev=$(in_sandbox -- ls /dev | awk '{print $4}')
assert_eq "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero" "$(echo $ls_dev)" "exactly the expected /dev entries"
assert_eq "755" "$("$N" run -- stat -c %a /dev)" "/dev is 0755"
assert_match "$(in_sandbox -- stat /dev/null)" 'rdev=1:3' "/dev/null is the 1:3 device"
assert_contains "$(in_sandbox -- mknod /dev/shm/n)" "errno=" "mknod is not allowed"
assert_contains "$(in_sandbox -- write /dev/newfile)" "errno=EROFS" "nothing new can be created in /dev"
m=$(in_sandbox -- mounts)
assert_match "$(awk '$1 == "/dev/pts"' <<<"$m")" 'devpts' "/dev/pts is devpts"
assert_match "$(awk '$1 == "/dev/shm"' <<<"$m")" 'tmpfs .*nosuid,nodev,noexec' "/dev/shm is a nosuid,nodev,noexec tmpfs"
assert_eq "ok" "$("$N" run -- sh -c 'exec 3<>/dev/ptmx && echo ok')" "a pseudo-terminal can be opened"
# Non-initial devpts instances share one pool of the kernel's (3072 by default): each
# sandbox's is capped, so that one cannot take every pty of every other.
assert_eq "64 28" "$("$N" run -- python3 -c 'import os
n = 0
try:
    while True: os.open("/dev/ptmx", os.O_RDWR | os.O_NOCTTY); n += 1
except OSError as e: print(n, e.errno)')" "a sandbox gets at most 64 ptys, then ENOSPC"
assert_eq "ok" "$("$N" run -- sh -c 'echo hi > /dev/shm/f && cat /dev/shm/f >/dev/null && echo ok')" "/dev/shm is writable"
finish
