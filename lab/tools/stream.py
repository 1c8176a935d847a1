#!/usr/bin/env python3
"""A steady UDP stream and its receiver, for failover tests and benchmarks.

  stream.py send DST PORT PPS SECONDS
      datagrams carrying a sequence number, paced to PPS, then five end
      marks that carry how many were sent
  stream.py recv ADDR PORT SECONDS OUT.json
      records each datagram's arrival (monotonic clock) and the interface it
      came in on; stops at an end mark, or SECONDS after the first datagram;
      writes {sent, received, recovered, first_seq, last_seq, lost,
      tail_lost, max_lost_run, max_gap_ms, gap_at_s, per_if} and, while
      running, the count so far to OUT.json.count

The loss of a failover is the longest run of consecutive sequence numbers
that never arrived (max_lost_run; times the interval, a duration), the
tail included: the datagrams after the last one that arrived, up to what
the end mark says was sent. A stream whose path never came back delivers
no end mark: "recovered" is then false, "sent" null, and no loss figure
means anything (a receiver that stopped waiting once arrivals stopped used
to report such a run as no loss at all). The largest gap between two
arrivals (max_gap_ms) also counts datagrams that were only late (a sender
starved of CPU, then catching up), so it is an upper bound of the loss
duration.
"""
import json
import socket
import struct
import sys
import time

IP_PKTINFO = 8
END = 0xFFFFFFFFFFFFFFFF  # the sequence number of an end mark


def send(dst, port, pps, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    interval = 1.0 / pps
    start = time.monotonic()
    seq = 0
    end = start + secs
    while True:
        now = time.monotonic()
        if now >= end:
            break
        # catch up when late: the rate holds even if a sleep overshoots
        while start + seq * interval <= now:
            try:
                s.sendto(struct.pack("!Q", seq) + b"x" * 56, (dst, port))
            except OSError:
                pass  # no route for a moment: the datagram is lost, as on a wire
            seq += 1
        time.sleep(max(0.0, start + seq * interval - time.monotonic()))
    for _ in range(5):
        try:
            s.sendto(struct.pack("!QQ", END, seq), (dst, port))
        except OSError:
            pass
        time.sleep(0.01)
    print(json.dumps({"sent": seq}))


def recv(addr, port, secs, out):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    s.bind((addr, port))
    s.settimeout(0.2)
    arrivals = []
    per_if = {}
    first = None
    sent = None
    names = {}
    last_count_write = 0.0
    while sent is None:
        now = time.monotonic()
        if first is not None and now - first > secs:
            break
        try:
            data, anc, _, _ = s.recvmsg(2048, socket.CMSG_SPACE(12))
        except socket.timeout:
            continue
        t = time.monotonic()
        if len(data) < 8:
            continue
        seq = struct.unpack("!Q", data[:8])[0]
        if seq == END and len(data) >= 16:
            sent = struct.unpack("!Q", data[8:16])[0]
            break
        ifname = "?"
        for level, typ, cdata in anc:
            if level == socket.IPPROTO_IP and typ == IP_PKTINFO:
                idx = struct.unpack("i", cdata[:4])[0]
                if idx not in names:
                    try:
                        names[idx] = socket.if_indextoname(idx)
                    except OSError:
                        names[idx] = str(idx)
                ifname = names[idx]
        per_if[ifname] = per_if.get(ifname, 0) + 1
        arrivals.append((t, seq))
        if first is None:
            first = t
        if t - last_count_write > 0.1:
            with open(out + ".count", "w") as f:
                f.write(str(len(arrivals)))
            last_count_write = t
    seqs = sorted({q for _, q in arrivals})
    run = max((b - a - 1 for a, b in zip(seqs, seqs[1:])), default=0)
    tail = (sent - 1 - seqs[-1]) if sent is not None and seqs else None
    if sent is not None:
        lost = sent - len(seqs)
        run = max(run, tail)
    else:
        lost = (seqs[-1] - seqs[0] + 1 - len(seqs)) if seqs else 0
    gap, gap_at = 0.0, None
    for (a, _), (b, _) in zip(arrivals, arrivals[1:]):
        if b - a > gap:
            gap, gap_at = b - a, a - first
    res = {
        "sent": sent,
        "received": len(arrivals),
        "recovered": sent is not None,
        "first_seq": arrivals[0][1] if arrivals else None,
        "last_seq": arrivals[-1][1] if arrivals else None,
        "lost": lost,
        "tail_lost": tail,
        "max_lost_run": run,
        "max_gap_ms": round(gap * 1000, 3),
        "gap_at_s": None if gap_at is None else round(gap_at, 3),
        "per_if": per_if,
    }
    with open(out, "w") as f:
        json.dump(res, f)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
    elif len(sys.argv) == 6 and sys.argv[1] == "recv":
        recv(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(__doc__)
