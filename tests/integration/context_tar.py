#!/usr/bin/env python3
# Writes a tar stream for the context tests: a good entry, plus one hostile entry of
# the kind named (dotdot, abs, symlink, hardlink, device) or none (ok).
import tarfile, io, sys
kind, out = sys.argv[1], sys.argv[2]
with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as t:
    def add(name, data=b"x", type=tarfile.REGTYPE, link=""):
        i = tarfile.TarInfo(name); i.type = type; i.linkname = link; i.size = len(data) if type == tarfile.REGTYPE else 0
        t.addfile(i, io.BytesIO(data) if type == tarfile.REGTYPE else None)
    add("ok.txt", b"fine")
    if kind == "dotdot": add("../../etc/evil")
    if kind == "abs": add("/etc/evil")
    if kind == "symlink": add("link", type=tarfile.SYMTYPE, link="/etc/shadow")
    if kind == "hardlink": add("hl", type=tarfile.LNKTYPE, link="ok.txt")
    if kind == "device": add("dev", type=tarfile.CHRTYPE)
