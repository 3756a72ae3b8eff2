#!/usr/bin/env python3
"""sandbox.exec with stdio "stream", as a client that cannot pass descriptors: sends the
request, optionally sleeps before reading (so nucleusd sees a congested connection),
then prints what arrived: bytes per stream and the reply."""
import json
import os
import socket
import sys
import time

sock, sandbox, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
args = sys.argv[4:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock)
req = {"jsonrpc": "2.0", "id": 1, "method": "sandbox.exec",
       "params": {"id": sandbox, "args": args, "stdio": "stream"}}
s.sendall(json.dumps(req).encode() + b"\n")
time.sleep(delay)
buf = b""
got = {"stdout": bytearray(), "stderr": bytearray()}
chunks = 0
while True:
    data = s.recv(1 << 16)
    if not data:
        print("EOF before the reply")
        sys.exit(1)
    buf += data
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        m = json.loads(line)
        if m.get("method") == "sandbox.exec_output":
            p = m["params"]
            d = p["data"]
            got[p["stream"]] += (d.encode() if isinstance(d, str) else __import__("base64").b64decode(d["base64"]))
            chunks += 1
        elif m.get("id") == 1:
            print("stdout_bytes", len(got["stdout"]))
            print("stdout_head", bytes(got["stdout"][:8]).decode(errors="replace").replace("\n", "|"))
            print("stderr", bytes(got["stderr"]).decode(errors="replace").replace("\n", "|"))
            print("reply", json.dumps(m.get("result", m.get("error")), sort_keys=True))
            print("chunks", chunks)
            sys.exit(0)
