#!/usr/bin/env python3
"""Lab UDP server and client for egress tests. Lab tool only.
  udp_echo.py server LOG ADDR:PORT...   answer each datagram with its SHA-256, log the peer
  udp_echo.py client HOST PORT FLOWS DATAGRAMS SIZE   each flow (its own socket) sends DATAGRAMS
      datagrams and checks every answer; prints 'ok N' or the failures"""
import hashlib, os, socket, sys, threading

def server(log, specs):
    lock = threading.Lock()
    def serve(spec):
        host, port = spec.rsplit(":", 1)
        fam = socket.AF_INET6 if host.startswith("[") else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((host.strip("[]"), int(port)))
        while True:
            data, peer = s.recvfrom(65536)
            with lock, open(log, "a") as f:
                f.write("%s %d %d\n" % (peer[0], peer[1], len(data)))
            s.sendto(hashlib.sha256(data).hexdigest().encode(), peer)
    ts = [threading.Thread(target=serve, args=(a,), daemon=True) for a in specs]
    for t in ts:
        t.start()
    for t in ts:
        t.join()

def client(host, port, flows, count, size):
    fails = []
    lock = threading.Lock()
    # every flow's socket is open until all are done: a socket closed early
    # frees its port for a later flow, which the proxy would then take for
    # the same flow (its 5-tuple, within the idle timeout)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    socks = [socket.socket(fam, socket.SOCK_DGRAM) for _ in range(flows)]
    def flow(i):
        s = socks[i]
        s.settimeout(1)
        try:
            for k in range(count):
                data = os.urandom(size)
                want = hashlib.sha256(data).hexdigest()
                done = False
                for attempt in range(3):  # UDP: a datagram may be lost; retry like a real client
                    s.sendto(data, (host, port))
                    try:
                        while True:  # skip a late answer to an earlier, retried datagram
                            ans, _ = s.recvfrom(100)
                            if ans.decode() == want:
                                done = True
                                break
                    except socket.timeout:
                        pass
                    if done:
                        break
                if not done:
                    raise ValueError("no answer for datagram %d" % k)
        except Exception as e:
            with lock:
                fails.append("%d: %s" % (i, e))
    ts = [threading.Thread(target=flow, args=(i,)) for i in range(flows)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for s in socks:
        s.close()
    print("ok %d" % flows if not fails else "FAILED %d of %d: %s" % (len(fails), flows, "; ".join(fails[:5])))
    sys.exit(1 if fails else 0)

if sys.argv[1] == "server":
    server(sys.argv[2], sys.argv[3:])
else:
    client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]))
