#!/usr/bin/env python3
"""Lab tool: stands in for systemd's notification socket. Binds a datagram
socket at PATH and appends each message a daemon sends there (sd_notify:
READY=1, RELOADING=1, STOPPING=1, STATUS=...) to OUT, one per line, with
its fields joined by '|'."""
import os, socket, sys

path, out = sys.argv[1], sys.argv[2]
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(out, "a") as f:
    while True:
        msg = s.recv(4096).decode(errors="replace")
        f.write("|".join(l for l in msg.split("\n") if l) + "\n")
        f.flush()
