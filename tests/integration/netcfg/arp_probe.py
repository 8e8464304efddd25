"""Run inside a namespace: asks `who-has TARGET` on IFNAME every millisecond (RFC 826 request
from SENDER) and prints the CLOCK_MONOTONIC time of the first ARP reply from TARGET and the MAC
it came from: "answered <seconds> <mac>", or "timeout". Prints "ready" once the socket is bound.

    arp_probe.py IFNAME SENDER TARGET TIMEOUT
"""

import select
import socket
import struct
import sys
import time

ETH_P_ARP = 0x0806


def main():
    ifname, sender, target, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    sock.bind((ifname, ETH_P_ARP))
    mac = sock.getsockname()[4]
    request = (b"\xff" * 6 + mac + struct.pack("!H", ETH_P_ARP) +
               struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + socket.inet_aton(sender) +
               b"\x00" * 6 + socket.inet_aton(target))
    want = socket.inet_aton(target)
    print("ready", flush=True)
    deadline = time.monotonic() + timeout
    next_send = 0.0
    while time.monotonic() < deadline:
        now = time.monotonic()
        if now >= next_send:
            sock.send(request)
            next_send = now + 0.001
        ready, _, _ = select.select([sock], [], [], max(0.0, next_send - time.monotonic()))
        if not ready:
            continue
        frame = sock.recv(2048)
        answered = time.monotonic()
        if len(frame) < 42:
            continue
        op = struct.unpack("!H", frame[20:22])[0]
        if op == 2 and frame[28:32] == want:
            print(f"answered {answered:.6f} {frame[22:28].hex(':')}", flush=True)
            return
    print("timeout", flush=True)


if __name__ == "__main__":
    main()
