"""A small authoritative DNS server for tests (RFC 1035 over UDP, standard library only).

    dns_server.py --listen 127.0.0.1:53 --zone zone.json --log queries.log

zone.json is a list of records: {"name": "gw.sipha.test", "type": "A", "ttl": 60,
"data": "127.0.0.1"}; types A, AAAA, SRV ("priority weight port target") and NAPTR
("order preference flags service regexp replacement", "" for an empty regexp). A name with
records of other types answers NOERROR without records (NODATA), an unknown name NXDOMAIN.
Every query is appended to the log as "name TYPE". Runs until SIGTERM."""

import argparse
import json
import shlex
import signal
import socket
import struct
import sys

TYPES = {"A": 1, "AAAA": 28, "SRV": 33, "NAPTR": 35}
NAMES = {value: key for key, value in TYPES.items()}


def encode_name(name):
    out = b""
    for label in name.strip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def char_string(text):
    data = text.encode()
    return bytes([len(data)]) + data


def rdata(kind, data):
    if kind == "A":
        return socket.inet_pton(socket.AF_INET, data)
    if kind == "AAAA":
        return socket.inet_pton(socket.AF_INET6, data)
    fields = shlex.split(data)
    if kind == "SRV":
        priority, weight, port, target = fields
        return struct.pack("!HHH", int(priority), int(weight), int(port)) + encode_name(target)
    if kind == "NAPTR":
        order, preference, flags, service, regexp, replacement = fields
        return (struct.pack("!HH", int(order), int(preference)) + char_string(flags) +
                char_string(service) + char_string(regexp) + encode_name(replacement))
    raise ValueError(kind)


def parse_question(message):
    if len(message) < 12:
        return None
    (query_id,) = struct.unpack("!H", message[:2])
    at, labels = 12, []
    while at < len(message) and message[at] != 0:
        length = message[at]
        labels.append(message[at + 1:at + 1 + length].decode("ascii", "replace").lower())
        at += 1 + length
    if at + 5 > len(message):
        return None
    qtype, qclass = struct.unpack("!HH", message[at + 1:at + 5])
    return query_id, ".".join(labels), qtype, message[12:at + 5], message[2] & 0x01


def answer(message, zone):
    parsed = parse_question(message)
    if parsed is None:
        return None, None
    query_id, name, qtype, question, rd = parsed
    records = [r for r in zone if r["name"] == name and TYPES[r["type"]] == qtype]
    known = any(r["name"] == name for r in zone)
    rcode = 0 if known else 3
    flags = 0x8400 | (0x0100 if rd else 0) | rcode  # QR, AA, RD copied
    out = struct.pack("!HHHHHH", query_id, flags, 1, len(records), 0, 0) + question
    for r in records:
        body = rdata(r["type"], r["data"])
        out += encode_name(r["name"]) + struct.pack("!HHIH", qtype, 1, r.get("ttl", 60),
                                                    len(body)) + body
    return out, f"{name} {NAMES.get(qtype, qtype)}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", default="127.0.0.1:53")
    parser.add_argument("--zone", required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    with open(args.zone) as f:
        zone = json.load(f)
    for r in zone:
        r["name"] = r["name"].strip(".").lower()
    host, port = args.listen.rsplit(":", 1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((host, int(port)))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    with open(args.log, "a") as log:
        while True:
            message, peer = sock.recvfrom(4096)
            reply, line = answer(message, zone)
            if reply is None:
                continue
            log.write(line + "\n")
            log.flush()
            sock.sendto(reply, peer)


if __name__ == "__main__":
    main()
