#!/usr/bin/env python3
"""A raw JSON-RPC client for the malformed-input tests: sends bytes exactly as given."""
import json, os, socket, sys

def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.environ["NUCLEUS_SOCKET"])
    s.settimeout(20)
    return s

def read_line(s, buf=[b""]):
    while b"\n" not in buf[0]:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError("connection closed")
        buf[0] += chunk
    line, buf[0] = buf[0].split(b"\n", 1)
    return json.loads(line)

def main():
    s = connect()
    for raw in sys.argv[1:]:
        if raw.startswith("@fds:"):
            # @fds:JSON sends the frame with our stdin/stdout/stderr attached.
            socket.send_fds(s, [raw[5:].encode() + b"\n"], [0, 1, 2])
            continue
        if raw.startswith("@ctx:"):
            # @ctx:FILE:JSON sends the frame with stdin/stdout/stderr and FILE (a context stream).
            path, frame = raw[5:].split(":", 1)
            fd = os.open(path, os.O_RDONLY)
            socket.send_fds(s, [frame.encode() + b"\n"], [0, 1, 2, fd])
            os.close(fd)
            continue
        if raw.startswith("@big:"):
            s.sendall(b"x" * int(raw[5:]) + b"\n")
            continue
        s.sendall(raw.encode("utf-8", "surrogateescape") + b"\n")
    # One reply per request line, in order.
    for _ in range(int(os.environ.get("EXPECT", "1"))):
        print(json.dumps(read_line(s), sort_keys=True))

main()
