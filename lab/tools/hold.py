#!/usr/bin/env python3
"""Hold idle connections open, the way a careless or hostile client does.

hold.py unix PATH N STOPFILE      N connections to a Unix stream socket
hold.py tcp HOST PORT N STOPFILE  N TCP connections
Prints "ready K" once K connections are up (K < N when the peer refused
some), then "closed K" each time the peer has closed K of them; exits when
every one is closed or STOPFILE exists.
"""
import os
import select
import socket
import sys
import time

kind = sys.argv[1]
if kind == "unix":
    path, n, stop = sys.argv[2], int(sys.argv[3]), sys.argv[4]
    addr, fam = path, socket.AF_UNIX
else:
    host, port, n, stop = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    addr = (host, port)
socks = []
for _ in range(n):
    s = socket.socket(fam, socket.SOCK_STREAM)
    # a Unix connect waits for room in the backlog when blocking; a TCP
    # one to a peer that never accepts must not wait forever
    s.settimeout(None if fam == socket.AF_UNIX else 2)
    try:
        s.connect(addr)
    except OSError:
        s.close()
        continue
    socks.append(s)
print("ready %d" % len(socks), flush=True)
live = list(socks)
closed = 0
while live and not os.path.exists(stop):
    r, _, _ = select.select(live, [], [], 0.1)
    for s in r:
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data:
            live.remove(s)
            closed += 1
            print("closed %d" % closed, flush=True)
for s in socks:
    s.close()
