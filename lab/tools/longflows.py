#!/usr/bin/env python3
"""Long-lived flows for the egress move test (tests/integration/t83). Lab
tool only.

longflows.py server LOG ADDR:PORT...   TCP and UDP echo on each ADDR:PORT;
    logs each new peer once: "tcp|udp ADDR PORT"
longflows.py client DST PORT NTCP NUDP STOPFILE [INTERVAL]
    opens NTCP TCP connections and NUDP UDP sockets to DST:PORT, prints
    "ready" once every one has had an answer, then sends a numbered message
    on each every INTERVAL s (default 0.1) until STOPFILE exists; prints
    one JSON line:
    {"tcp", "udp", "broken", "gaps_over_1s", "gaps_over_3s",
     "gaps_over_10s", "max_gap_ms", "gap_p50_ms", "gap_p95_ms", "answers"}
    A flow is broken when its socket fails or it had no answer in its
    last 3 s; a gap is the time between two answers on one flow (each
    flow's longest counts). LONGFLOWS_MARK=N: the client's sockets carry
    firewall mark N (SO_MARK), set before they connect.
"""
import json
import os
import selectors
import socket
import sys
import threading
import time


def fam(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def server(log, specs):
    lock = threading.Lock()
    seen = set()

    def note(proto, peer):
        key = (proto, peer[0], peer[1])
        with lock:
            if key in seen:
                return
            seen.add(key)
            with open(log, "a") as f:
                f.write("%s %s %d\n" % key)

    def tcp_conn(c, peer):
        note("tcp", peer)
        with c:
            while True:
                b = c.recv(4096)
                if not b:
                    return
                c.sendall(b)

    def tcp(host, port):
        s = socket.socket(fam(host), socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(1024)
        while True:
            c, peer = s.accept()
            threading.Thread(target=tcp_conn, args=(c, peer), daemon=True).start()

    def udp(host, port):
        s = socket.socket(fam(host), socket.SOCK_DGRAM)
        s.bind((host, port))
        while True:
            data, peer = s.recvfrom(4096)
            note("udp", peer)
            s.sendto(data, peer)

    ts = []
    for spec in specs:
        host, port = spec.rsplit(":", 1)
        host = host.strip("[]")
        ts += [threading.Thread(target=tcp, args=(host, int(port)), daemon=True),
               threading.Thread(target=udp, args=(host, int(port)), daemon=True)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def client(dst, port, ntcp, nudp, stop, interval):
    sel = selectors.DefaultSelector()
    flows = []
    for i in range(ntcp + nudp):
        tcp = i < ntcp
        s = socket.socket(fam(dst), socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
        if os.environ.get("LONGFLOWS_MARK"):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, int(os.environ["LONGFLOWS_MARK"]))
        s.settimeout(5)
        s.connect((dst, port))
        s.setblocking(False)
        f = {"s": s, "tcp": tcp, "last": None, "gap": 0.0, "broken": False, "n": 0, "buf": b""}
        flows.append(f)
        sel.register(s, selectors.EVENT_READ, f)
    ready = False
    seq = 0
    next_send = time.monotonic()
    start = time.monotonic()
    while not os.path.exists(stop):
        now = time.monotonic()
        if now >= next_send:
            seq += 1
            for f in flows:
                if f["broken"]:
                    continue
                try:
                    f["s"].send(b"%08d\n" % seq)
                except OSError:
                    f["broken"] = True
            next_send = now + interval
        for key, _ in sel.select(timeout=max(0.0, next_send - time.monotonic())):
            f = key.data
            try:
                b = f["s"].recv(4096)
            except OSError:
                f["broken"] = True
                sel.unregister(f["s"])
                continue
            if f["tcp"] and not b:
                f["broken"] = True
                sel.unregister(f["s"])
                continue
            t = time.monotonic()
            if f["last"] is not None and ready:
                f["gap"] = max(f["gap"], t - f["last"])
            f["last"] = t
            f["n"] += 1
        if not ready and all(f["last"] is not None for f in flows):
            ready = True
            print("ready", flush=True)
        if not ready and time.monotonic() - start > 20:
            print(json.dumps({"error": "not every flow answered in 20 s"}), flush=True)
            return 1
    end = time.monotonic()
    for f in flows:
        if f["last"] is None or end - f["last"] > 3 + interval:
            f["broken"] = True
    print(json.dumps({
        "tcp": ntcp, "udp": nudp,
        "broken": sum(f["broken"] for f in flows),
        "gaps_over_1s": sum(f["gap"] > (1.0 if interval <= 0.1 else interval + 1.0) for f in flows),
        "gaps_over_3s": sum(f["gap"] > 3.0 for f in flows),
        "gaps_over_10s": sum(f["gap"] > 10.0 for f in flows),
        "max_gap_ms": round(1000 * max(f["gap"] for f in flows)),
        "gap_p50_ms": round(1000 * sorted(f["gap"] for f in flows)[len(flows) // 2]),
        "gap_p95_ms": round(1000 * sorted(f["gap"] for f in flows)[min(len(flows) - 1, len(flows) * 95 // 100)]),
        "answers": sum(f["n"] for f in flows),
    }), flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(client(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6],
                        float(sys.argv[7]) if len(sys.argv) > 7 else 0.1))
