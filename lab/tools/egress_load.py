#!/usr/bin/env python3
"""Abusive clients for the egress proxy (tests/integration/t175), one
process holding thousands of sockets. Lab tool only.

egress_load.py server ADDR PORT...         echo server: echoes what comes,
    closes its side once the client's side is closed and all is echoed
egress_load.py many DST PORT N             N connections at once, two echo
    rounds on each (all N open at the same time), then a clean close
egress_load.py reset DST PORT N            N connections that send 256 KiB
    each and close with an RST before reading anything
egress_load.py halfclose DST PORT N SIZE   N connections: send SIZE bytes,
    shut down writing, read the SIZE bytes back until the proxy's EOF
egress_load.py idle DST PORT N STOPFILE    open up to N silent connections,
    report how many were held and refused, then wait for the proxy to
    close them (or STOPFILE)
Each prints one result line."""
import errno
import os
import resource
import selectors
import socket
import struct
import sys
import time

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def server(specs):
    sel = selectors.DefaultSelector()
    for spec in specs:
        host, port = spec.rsplit(":", 1)
        host = host.strip("[]")
        s = socket.socket(family(host), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, int(port)))
        s.listen(4096)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, None)
    state = {}  # socket -> [pending bytes, peer closed]
    while True:
        for key, ev in sel.select():
            s = key.fileobj
            if key.data is None:
                try:
                    c, _ = s.accept()
                except OSError:
                    continue
                c.setblocking(False)
                state[c] = [b"", False]
                sel.register(c, selectors.EVENT_READ, 1)
                continue
            st = state[s]
            try:
                if ev & selectors.EVENT_READ and not st[1]:
                    b = s.recv(65536)
                    if b:
                        st[0] += b
                    else:
                        st[1] = True
                if st[0]:
                    n = s.send(st[0])
                    st[0] = st[0][n:]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                st[0], st[1] = b"", True  # reset by the peer
            if st[1] and not st[0]:
                sel.unregister(s)
                del state[s]
                s.close()
            else:
                want = (0 if st[1] else selectors.EVENT_READ) | (selectors.EVENT_WRITE if st[0] else 0)
                sel.modify(s, want, 1)


def connect_all(dst, port, n, timeout=60):
    """n non-blocking connects; returns (connected, refused)"""
    sel = selectors.DefaultSelector()
    pending, done, refused = {}, [], 0
    for i in range(n):
        s = socket.socket(family(dst), socket.SOCK_STREAM)
        s.setblocking(False)
        r = s.connect_ex((dst, port))
        if r not in (0, errno.EINPROGRESS):
            refused += 1
            s.close()
            continue
        pending[s] = i
        sel.register(s, selectors.EVENT_WRITE)
    end = time.monotonic() + timeout
    while pending and time.monotonic() < end:
        for key, _ in sel.select(1):
            s = key.fileobj
            sel.unregister(s)
            del pending[s]
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                refused += 1
                s.close()
            else:
                done.append(s)
    for s in pending:
        s.close()
    return done, refused + len(pending)


def echo_round(socks, payload, timeout=60):
    """sends payload on every socket, reads it back; returns how many got it"""
    sel = selectors.DefaultSelector()
    want = {}
    for s in socks:
        try:
            s.sendall(payload)  # small: fits the socket buffer
        except OSError:
            continue
        want[s] = b""
        sel.register(s, selectors.EVENT_READ)
    ok, end = 0, time.monotonic() + timeout
    while want and time.monotonic() < end:
        for key, _ in sel.select(1):
            s = key.fileobj
            try:
                b = s.recv(65536)
            except OSError:
                b = b""
            if not b:
                sel.unregister(s)
                del want[s]
                continue
            want[s] += b
            if len(want[s]) >= len(payload):
                ok += want[s] == payload
                sel.unregister(s)
                del want[s]
    return ok


def many(dst, port, n):
    socks, refused = connect_all(dst, port, n)
    r1 = echo_round(socks, b"a" * 100)
    r2 = echo_round(socks, b"b" * 100)
    for s in socks:
        s.close()
    print("many connected %d refused %d round1 %d round2 %d" % (len(socks), refused, r1, r2))


def reset(dst, port, n):
    socks, refused = connect_all(dst, port, n)
    blob = b"r" * 65536
    for s in socks:
        for _ in range(4):
            try:
                s.send(blob)
            except OSError:
                break
    for s in socks:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()
    print("reset %d refused %d" % (len(socks), refused))


def halfclose(dst, port, n, size):
    socks, refused = connect_all(dst, port, n)
    sel = selectors.DefaultSelector()
    data = bytes(range(256)) * (size // 256 + 1)
    data = data[:size]
    st = {s: [data, b""] for s in socks}
    for s in socks:
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    ok, end = 0, time.monotonic() + 120
    while st and time.monotonic() < end:
        for key, ev in sel.select(1):
            s = key.fileobj
            out, got = st[s]
            try:
                if ev & selectors.EVENT_WRITE and out:
                    k = s.send(out[:65536])
                    out = out[k:]
                    if not out:
                        s.shutdown(socket.SHUT_WR)  # half-closed: still reading
                        sel.modify(s, selectors.EVENT_READ)
                if ev & selectors.EVENT_READ:
                    b = s.recv(65536)
                    if not b:
                        ok += got == data
                        sel.unregister(s)
                        del st[s]
                        s.close()
                        continue
                    got += b
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                sel.unregister(s)
                del st[s]
                s.close()
                continue
            st[s] = [out, got]
    print("halfclose connected %d refused %d intact %d" % (len(socks), refused, ok))


def idle(dst, port, n, stop):
    socks, refused = connect_all(dst, port, n)
    # the proxy takes every connection, then resets the ones it cannot
    # carry: one echoed byte tells the held from the refused
    sel = selectors.DefaultSelector()
    for s in socks:
        try:
            s.send(b"i")
            sel.register(s, selectors.EVENT_READ)
        except OSError:
            refused += 1
            s.close()
    held, waiting, end = [], len(sel.get_map()), time.monotonic() + 60
    while waiting and time.monotonic() < end:
        for key, _ in sel.select(1):
            s = key.fileobj
            sel.unregister(s)
            waiting -= 1
            try:
                b = s.recv(1)
            except OSError:
                b = b""
            if b:
                held.append(s)
            else:
                refused += 1
                s.close()
    print("idle held %d refused %d" % (len(held), refused), flush=True)
    for s in held:
        sel.register(s, selectors.EVENT_READ)
    live = set(held)
    while live and not os.path.exists(stop):
        for key, _ in sel.select(0.5):
            s = key.fileobj
            try:
                b = s.recv(4096)
            except OSError:
                b = b""
            if not b:
                sel.unregister(s)
                live.discard(s)
                s.close()
    print("idle closed by the proxy %d" % (len(held) - len(live)), flush=True)


cmd = sys.argv[1]
if cmd == "server":
    server(sys.argv[2:])
elif cmd == "many":
    many(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
elif cmd == "reset":
    reset(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
elif cmd == "halfclose":
    halfclose(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
elif cmd == "idle":
    idle(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
