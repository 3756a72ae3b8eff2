#!/usr/bin/env python3
"""A tiny authoritative DNS server for the egress DNS gate's test (net_dnsgate.sh),
over UDP and TCP on ADDR:53. Every name it is asked is appended to LOG.

  allowed.test      A 172.31.252.3 (TTL 60), AAAA fd00::3
  www.alias.test    CNAME target.cdn.test (TTL 60); target.cdn.test A 172.31.252.4
  short.test        A 172.31.252.5, TTL 1
  sub.wild.test     A 172.31.252.6
  denied.test       A 172.31.252.7 (the gate must never ask for it)
  anything else     NXDOMAIN
"""
import socket, struct, sys, threading

ADDR, LOG = sys.argv[1], sys.argv[2]
A, AAAA, CNAME = 1, 28, 5
ZONE = {
    "allowed.test": [(A, 60, "172.31.252.3"), (AAAA, 60, "fd00::3")],
    "www.alias.test": [(CNAME, 60, "target.cdn.test")],
    "target.cdn.test": [(A, 60, "172.31.252.4")],
    "short.test": [(A, 1, "172.31.252.5")],
    "sub.wild.test": [(A, 60, "172.31.252.6")],
    "denied.test": [(A, 60, "172.31.252.7")],
}


def enc(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l) + b"\0"


def answer(q):
    qid, flags = struct.unpack(">HH", q[:4])
    i, labels = 12, []
    while q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode().lower())
        i += 1 + q[i]
    qtype, qclass = struct.unpack(">HH", q[i + 1:i + 5])
    question = q[12:i + 5]
    name = ".".join(labels)
    with open(LOG, "a") as f:
        f.write(name + "\n")
    rrs, cur = [], name
    for _ in range(8):
        recs = ZONE.get(cur, [])
        for t, ttl, v in recs:
            if t == CNAME:
                rrs.append((cur, t, ttl, enc(v)))
                cur = v
                break
            if t == qtype:
                rrs.append((cur, t, ttl, socket.inet_pton(socket.AF_INET if t == A else socket.AF_INET6, v)))
        else:
            break
    rcode = 0 if name in ZONE else 3
    out = struct.pack(">HHHHHH", qid, 0x8400 | (flags & 0x0100) | rcode, 1, len(rrs), 0, 0) + question
    for owner, t, ttl, data in rrs:
        out += enc(owner) + struct.pack(">HHIH", t, 1, ttl, len(data)) + data
    return out


def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ADDR, 53))
    while True:
        q, src = s.recvfrom(512)
        s.sendto(answer(q), src)


def tcp_client(c):
    with c:
        n = struct.unpack(">H", c.recv(2))[0]
        q = b""
        while len(q) < n:
            q += c.recv(n - len(q))
        a = answer(q)
        c.sendall(struct.pack(">H", len(a)) + a)


def tcp():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((ADDR, 53))
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=tcp_client, args=(c,), daemon=True).start()


threading.Thread(target=udp, daemon=True).start()
tcp()
