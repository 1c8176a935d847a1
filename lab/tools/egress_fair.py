#!/usr/bin/env python3
"""Clients that share the egress proxy unfairly, and servers for them
(tests/integration/t176, bench/egress_fair.sh). Lab tool only.

egress_fair.py spray DST PORT N SRC        one UDP datagram from each of N
    source ports of SRC (a new socket each), as fast as it can
egress_fair.py mixed DST UDPPORT TCPPORT N SRC
    N UDP flows (each answered by an echo server, 3 tries) and N TCP flows
    (each echoed), all held open at once, from SRC
egress_fair.py source ADDR PORT SIZE       server: sends SIZE bytes to each
    connection, then closes it
egress_fair.py slow DST PORT N SRC STOPFILE
    N connections to a source server that never read; says when they are
    all open, and closes them when STOPFILE appears
egress_fair.py fetch DST PORT SIZE SRC     reads SIZE bytes from a source
    server; prints the bytes and the seconds it took
Each client prints one result line."""
import os
import resource
import selectors
import socket
import sys
import time

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def spray(dst, port, n, src):
    sent = 0
    for _ in range(n):
        s = socket.socket(family(dst), socket.SOCK_DGRAM)
        s.bind((src, 0))
        try:
            s.sendto(b"x", (dst, port))
            sent += 1
        except OSError:
            pass
        s.close()
    print("spray sent", sent)


def mixed(dst, uport, tport, n, src):
    udp, tcp = [], []
    uok = tok = 0
    for i in range(n):
        s = socket.socket(family(dst), socket.SOCK_DGRAM)
        s.bind((src, 0))
        s.settimeout(1)
        s.connect((dst, uport))
        for _ in range(3):
            try:
                s.send(b"udp %d" % i)
                s.recv(2048)
                uok += 1
                break
            except socket.timeout:
                continue
            except OSError:
                break
        udp.append(s)
    for i in range(n):
        s = socket.socket(family(dst), socket.SOCK_STREAM)
        s.bind((src, 0))
        s.settimeout(10)
        try:
            s.connect((dst, tport))
            msg = b"tcp %d\n" % i
            s.sendall(msg)
            got = b""
            while len(got) < len(msg):
                b = s.recv(4096)
                if not b:
                    break
                got += b
            tok += got == msg
        except OSError:
            pass
        tcp.append(s)
    print("mixed udp %d/%d tcp %d/%d" % (uok, n, tok, n))


def source(addr, port, size):
    ls = socket.socket(family(addr), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, port))
    ls.listen(4096)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ, None)
    chunk = b"\0" * 65536
    left = {}
    while True:
        for key, _ in sel.select():
            s = key.fileobj
            if key.data is None:
                try:
                    c, _ = s.accept()
                except OSError:
                    continue
                c.setblocking(False)
                left[c] = size
                sel.register(c, selectors.EVENT_WRITE, 1)
                continue
            try:
                n = s.send(chunk[:min(len(chunk), left[s])])
            except BlockingIOError:
                continue
            except OSError:
                n = -1
            if n < 0 or left[s] - n <= 0:
                sel.unregister(s)
                del left[s]
                s.close()
            else:
                left[s] -= n


def slow(dst, port, n, src, stop):
    socks = []
    for _ in range(n):
        s = socket.socket(family(dst), socket.SOCK_STREAM)
        s.bind((src, 0))
        s.settimeout(10)
        try:
            s.connect((dst, port))
            socks.append(s)
        except OSError:
            s.close()
    print("slow open", len(socks), flush=True)
    while not os.path.exists(stop):
        time.sleep(0.1)
    for s in socks:
        s.close()


def fetch(dst, port, size, src):
    s = socket.socket(family(dst), socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(30)
    t = time.monotonic()
    got = 0
    try:
        s.connect((dst, port))
        while got < size:
            b = s.recv(min(1 << 20, size - got))
            if not b:
                break
            got += len(b)
    except OSError:
        pass
    print("fetch got %d in %.3f" % (got, time.monotonic() - t))


cmd, a = sys.argv[1], sys.argv[2:]
if cmd == "spray":
    spray(a[0], int(a[1]), int(a[2]), a[3])
elif cmd == "mixed":
    mixed(a[0], int(a[1]), int(a[2]), int(a[3]), a[4])
elif cmd == "source":
    source(a[0], int(a[1]), int(a[2]))
elif cmd == "slow":
    slow(a[0], int(a[1]), int(a[2]), a[3], a[4])
elif cmd == "fetch":
    fetch(a[0], int(a[1]), int(a[2]), a[3])
else:
    sys.exit(__doc__)
