#!/usr/bin/env python3
"""Send gratuitous ARP replies claiming an IPv4 address, as a forging host
would: garp.py IFACE IPV4 [COUNT [INTERVAL]]. The sender MAC is IFACE's own."""
import socket
import struct
import sys
import time

ifname, ip = sys.argv[1], sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else 1
interval = float(sys.argv[4]) if len(sys.argv) > 4 else 0.2
mac = bytes.fromhex(open("/sys/class/net/%s/address" % ifname).read().strip().replace(":", ""))
addr = socket.inet_aton(ip)
bcast = b"\xff" * 6
# Ethernet, then ARP: Ethernet/IPv4, reply, sender = target = the address
frame = bcast + mac + struct.pack("!H", 0x0806)
frame += struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + mac + addr + bcast + addr
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
for i in range(count):
    s.send(frame)
    if i + 1 < count:
        time.sleep(interval)
