#!/usr/bin/env python3
"""Lab server for egress tests: for each TCP connection, read until the
client half-closes, then send back the SHA-256 of what came and the data
itself; log the peer's address and port, one line each. Lab tool only."""
import hashlib, socket, sys, threading

log_path = sys.argv[1]
addrs = sys.argv[2:]  # host:port or [v6]:port
lock = threading.Lock()

def serve(conn, peer):
    with conn:
        chunks = []
        while True:
            b = conn.recv(65536)
            if not b:
                break
            chunks.append(b)
        data = b"".join(chunks)
        with lock, open(log_path, "a") as f:
            f.write("%s %d %d\n" % (peer[0], peer[1], len(data)))
        conn.sendall(hashlib.sha256(data).hexdigest().encode() + b"\n" + data)

def listen(spec):
    host, port = spec.rsplit(":", 1)
    fam = socket.AF_INET6 if host.startswith("[") else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host.strip("[]"), int(port)))
    s.listen(1024)
    while True:
        c, peer = s.accept()
        threading.Thread(target=serve, args=(c, peer), daemon=True).start()

threads = [threading.Thread(target=listen, args=(a,), daemon=True) for a in addrs]
for t in threads:
    t.start()
for t in threads:
    t.join()
