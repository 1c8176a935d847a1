#!/usr/bin/env python3
"""Lab client for egress tests: N concurrent connections to HOST PORT, each
sending SIZE random bytes, half-closing, and checking that the SHA-256 and
the echo that come back match. Prints 'ok N' or the failures. Lab tool only."""
import hashlib, os, socket, sys, threading

host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sizes = [int(x) for x in sys.argv[4].split(",")]
bind = sys.argv[5] if len(sys.argv) > 5 else None  # "ADDR:FIRST-LAST" for a local socket in a slice
fails = []
lock = threading.Lock()

def one(i):
    data = os.urandom(sizes[i % len(sizes)])
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(20)
        if bind:
            addr, rng = bind.rsplit(":", 1)
            first, last = (int(x) for x in rng.split("-"))
            s.setsockopt(socket.IPPROTO_IP, 24, 1)                                   # IP_BIND_ADDRESS_NO_PORT
            s.setsockopt(socket.IPPROTO_IP, 51, (last << 16 | first).to_bytes(4, "little"))  # IP_LOCAL_PORT_RANGE
            s.bind((addr, 0))
        s.connect((host, port))
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            got += b
        s.close()
        digest, _, echo = got.partition(b"\n")
        if digest.decode() != hashlib.sha256(data).hexdigest() or echo != data:
            raise ValueError("corrupt: sent %d bytes, echo %d" % (len(data), len(echo)))
    except Exception as e:
        with lock:
            fails.append("%d: %s" % (i, e))

threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("ok %d" % count if not fails else "FAILED %d of %d: %s" % (len(fails), count, "; ".join(fails[:5])))
sys.exit(1 if fails else 0)
