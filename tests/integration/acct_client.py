#!/usr/bin/env python3
"""Accounting load that remembers what was acknowledged (tests/integration/acct_durable.sh).

Sends Accounting-Request Start (then one Interim-Update with counters) for sessions
PREFIX-0..PREFIX-(N-1) of USER, WINDOW outstanding at a time, and appends the Acct-Session-Id of
every Start answered with a valid Accounting-Response to ACKED (flushed per line), so that when
the server is killed mid-run the file still says exactly which records it acknowledged. No
retransmission: an unanswered request is simply not acknowledged.

  acct_client.py HOST PORT SECRET USER PREFIX N WINDOW ACKED [--seconds S]
"""
import hashlib
import os
import select
import socket
import struct
import sys
import time


def attr(kind, value):
    return struct.pack("!BB", kind, len(value) + 2) + value


def u32(kind, n):
    return attr(kind, struct.pack("!I", n))


def request(ident, secret, attrs):
    # RFC 2866 3: Request Authenticator = MD5(Code+Identifier+Length+16 zero octets+attrs+secret)
    length = 20 + len(attrs)
    header = struct.pack("!BBH", 4, ident, length)
    auth = hashlib.md5(header + b"\0" * 16 + attrs + secret).digest()
    return header + auth + attrs, auth


def response_ok(data, auth, secret):
    if len(data) < 20 or data[0] != 5:
        return False
    length = struct.unpack("!H", data[2:4])[0]
    expected = hashlib.md5(data[:4] + auth + data[20:length] + secret).digest()
    return expected == data[4:20]


def main():
    host, port, secret, user, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), \
        sys.argv[4].encode(), sys.argv[5]
    count, window, acked_path = int(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
    seconds = float(sys.argv[10]) if len(sys.argv) > 10 and sys.argv[9] == "--seconds" else 30.0
    deadline = time.monotonic() + seconds
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range((window + 255) // 256)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
    pending = {}  # (sock index, ident) -> (session id, authenticator, sent at, is start)
    next_ident = [0] * len(socks)
    queue = []  # (session number, status)
    for i in range(count):
        queue.append((i, 1))
    sent = acked = 0
    with open(acked_path, "a", buffering=1) as out:
        while (queue or pending) and time.monotonic() < deadline:
            while queue and len(pending) < window:
                i, status = queue.pop(0)
                k = i % len(socks)
                ident = next_ident[k]
                next_ident[k] = (ident + 1) % 256
                if (k, ident) in pending:
                    queue.insert(0, (i, status))
                    break
                sid = f"{prefix}-{i}".encode()
                attrs = (attr(1, user) + u32(4, 0x7F000001) + u32(40, status) + attr(44, sid)
                         + u32(61, 15) + attr(87, f"port-{i}".encode()))
                if status == 3:
                    attrs += u32(42, 1000 + i) + u32(43, 5000 + i) + u32(46, 60)
                packet, auth = request(ident, secret, attrs)
                socks[k].sendto(packet, (host, port))
                pending[(k, ident)] = (sid.decode(), auth, time.monotonic(), status)
                sent += 1
            ready, _, _ = select.select(socks, [], [], 0.05)
            for s in ready:
                k = socks.index(s)
                while True:
                    try:
                        data = s.recv(4096)
                    except BlockingIOError:
                        break
                    entry = pending.pop((k, data[1]), None) if len(data) >= 20 else None
                    if entry is None:
                        continue
                    sid, auth, _, status = entry
                    if response_ok(data, auth, secret):
                        acked += 1
                        if status == 1:
                            out.write(sid + "\n")
                            queue.append((int(sid.rsplit("-", 1)[1]), 3))
            now = time.monotonic()
            for key in [key for key, v in pending.items() if now - v[2] > 2.0]:
                del pending[key]  # unanswered: not acknowledged
    print(f"sent={sent} acked={acked}")


if __name__ == "__main__":
    main()
