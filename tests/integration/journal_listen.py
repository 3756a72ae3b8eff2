#!/usr/bin/env python3
"""A stand-in for journald's native socket: receives datagrams on PATH and appends
each as one JSON object of its KEY=value fields to OUT (journal.sh reads them)."""
import json
import os
import socket
import sys

path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
open(out + ".ready", "w").close()
while True:
    data = s.recv(1 << 20)
    fields = {}
    for line in data.split(b"\n"):
        if b"=" in line:
            k, v = line.split(b"=", 1)
            fields[k.decode()] = v.decode(errors="replace")
    with open(out, "a") as f:
        f.write(json.dumps(fields) + "\n")
