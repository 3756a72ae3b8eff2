#!/usr/bin/env python3
"""Runs a command on a new pty, as a terminal user would, and prints what it wrote.

Usage: pty_drive.py [--size R C] [--timeout S] [STEP...] -- CMD [ARG...]
Steps run in order; each waits until the output so far contains PATTERN:
  --send PATTERN TEXT      then types TEXT (Python escapes: \\r, \\x10)
  --resize PATTERN R C     then resizes the terminal (the command gets SIGWINCH)
  --kill PATTERN           then SIGKILLs the command
  --touch PATTERN FILE     then creates FILE (for a script that waits on us)
The transcript goes to stdout; the exit status is the command's (128+signal if killed),
or 124 when a step or the end did not come within the timeout.
"""
import fcntl
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time


def set_size(fd, rows, cols):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def main(argv):
    size, timeout, steps = None, 20.0, []
    i = 0
    while argv[i] != "--":
        a = argv[i]
        if a == "--size":
            size = (int(argv[i + 1]), int(argv[i + 2])); i += 3
        elif a == "--timeout":
            timeout = float(argv[i + 1]); i += 2
        elif a == "--send":
            steps.append(("send", argv[i + 1], argv[i + 2].encode().decode("unicode_escape"))); i += 3
        elif a == "--resize":
            steps.append(("resize", argv[i + 1], (int(argv[i + 2]), int(argv[i + 3])))); i += 4
        elif a == "--kill":
            steps.append(("kill", argv[i + 1], None)); i += 2
        elif a == "--touch":
            steps.append(("touch", argv[i + 1], argv[i + 2])); i += 3
        else:
            sys.exit(f"pty_drive: unknown option {a}")
    cmd = argv[i + 1:]
    master, slave = os.openpty()
    if size:
        set_size(master, *size)

    def child_setup():
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                         preexec_fn=child_setup, close_fds=True)
    os.close(slave)
    # Stopped from outside: the command goes with us, not left on a dead terminal.
    signal.signal(signal.SIGTERM, lambda *_: (p.kill(), p.wait(), sys.exit(143)))
    out = b""
    deadline = time.monotonic() + timeout
    rc = None
    while True:
        while steps and steps[0][1].encode() in out:
            kind, _, arg = steps.pop(0)
            if kind == "send":
                os.write(master, arg.encode())
            elif kind == "resize":
                set_size(master, *arg)
            elif kind == "touch":
                open(arg, "w").close()
            else:
                p.send_signal(signal.SIGKILL)
        left = deadline - time.monotonic()
        if left <= 0:
            p.kill()
            p.wait()
            rc = 124
            break
        r, _, _ = select.select([master], [], [], min(left, 0.2))
        if r:
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            if not data:
                rc = p.wait()
                break
            out += data
        elif p.poll() is not None and not steps:
            # Exited; take what is left.
            try:
                while select.select([master], [], [], 0.1)[0]:
                    data = os.read(master, 65536)
                    if not data:
                        break
                    out += data
            except OSError:
                pass
            rc = p.returncode
            break
    if rc is None:
        rc = p.wait()
    sys.stdout.write(out.decode(errors="replace"))
    sys.stdout.flush()
    if steps:
        print(f"\npty_drive: steps left: {[s[:2] for s in steps]}", file=sys.stderr)
        return 124
    return 128 - rc if rc < 0 else rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
