#!/usr/bin/env python3
"""A MikroTik RouterOS API responder for tests (no RouterOS runs here).

Written from the shared protocol reference routeros-api.md only; it deliberately shares no code with
core/net/routeros_word.cpp so that a misreading of the protocol cannot hide in both.

    routeros_responder.py --seed state.json [--port 0] [--tls-cert C --tls-key K | --tls-adh DH]
                          [--legacy-login] [--drop-mid-sentence] [--trap-on CMD] [--fatal-on-login]
                          [--silent] [--bad-password] [--reverse-pairs] [--empty-replies]

Prints "READY <port>" on stdout once listening on 127.0.0.1. Stdlib only.

Test control (not RouterOS): the seed's "queues" are the dynamic simple queues RouterOS makes for
sessions shaped by RADIUS ("<pppoe-alice>"); a real router lets no API client edit them, only a
CoA. Tests stand in for that CoA with two commands over the same API connection:

    /test/queue/set =name=<pppoe-alice> =max-limit=2M/4M    (trap "no such item" when absent)
    /test/queue/remove =name=<pppoe-alice>                  (as if the CoA dropped the shaping)
"""
import argparse
import hashlib
import json
import os
import socket
import ssl
import sys
import threading

# ---------------------------------------------------------------- words (reference section 2)


def encode_length(n):
    if n < 0x80:
        return bytes([n])
    if n < 0x4000:
        return (n | 0x8000).to_bytes(2, "big")
    if n < 0x200000:
        return (n | 0xC00000).to_bytes(3, "big")
    if n < 0x10000000:
        return (n | 0xE0000000).to_bytes(4, "big")
    return b"\xf0" + n.to_bytes(4, "big")


def encode_sentence(words):
    out = bytearray()
    for w in words:
        b = w if isinstance(w, bytes) else w.encode("latin-1")
        out += encode_length(len(b)) + b
    out += b"\x00"
    return bytes(out)


class ProtocolError(Exception):
    pass


def read_exact(conn, n):
    data = bytearray()
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return bytes(data)


def read_word(conn):
    first = read_exact(conn, 1)[0]
    if first < 0x80:
        return read_exact(conn, first) if first else b""
    if first < 0xC0:
        extra, top = 1, first & 0x3F
    elif first < 0xE0:
        extra, top = 2, first & 0x1F
    elif first < 0xF0:
        extra, top = 3, first & 0x0F
    elif first == 0xF0:
        extra, top = 4, 0
    else:
        raise ProtocolError("reserved control byte 0x%02x" % first)
    n = top
    for b in read_exact(conn, extra):
        n = n * 256 + b
    if n > 1 << 24:
        raise ProtocolError("word too long: %d" % n)
    return read_exact(conn, n)


def read_sentence(conn):
    words = []
    while True:
        w = read_word(conn)
        if not w:
            return [x.decode("latin-1") for x in words]
        words.append(w)


# ---------------------------------------------------------------- router state


class Router:
    def __init__(self, seed):
        self.lock = threading.Lock()
        self.identity = seed.get("identity", "MikroTik")
        self.users = seed.get("users", {"admin": ""})
        self.resource = seed.get("resource", {})
        self.pools = seed.get("pools", [])
        self.active = seed.get("active", [])
        self.next_id = 0x80000100
        # One simple queue per shaped session: defaults as RouterOS shows a dynamic one.
        self.queues = []
        for i, q in enumerate(seed.get("queues", [])):
            row = {".id": "*%X" % (0x1000001 + i), "dynamic": "true", "disabled": "false"}
            row.update(q)
            self.queues.append(row)


def queue_name(session):
    """RouterOS names a PPP session's dynamic queue <service-user>: <pppoe-alice>."""
    return "<%s-%s>" % (session.get("service", "pppoe"), session.get("name", ""))


def attributes(words):
    """=name=value words -> dict; the value may hold '=' (split on the first two only)."""
    out = {}
    for w in words:
        if w.startswith("="):
            name, _, value = w[1:].partition("=")
            out[name] = value
    return out


def matches(row, queries):
    # Only what the tests use: ?name=value, ?name (has it), ?-name (lacks it); ANDed.
    for q in queries:
        body = q[1:]
        if body.startswith("-"):
            if body[1:] in row:
                return False
        elif "=" in body:
            name, _, value = body.partition("=")
            if row.get(name) != value:
                return False
        elif body not in row:
            return False
    return True


def project(row, attrs):
    props = attrs.get(".proplist")
    if not props:
        return row
    keep = props.split(",")
    return {k: v for k, v in row.items() if k in keep}


def row_words(row):
    return ["=%s=%s" % (k, v) for k, v in row.items()]


# ---------------------------------------------------------------- one connection


class Session:
    def __init__(self, conn, router, opts):
        self.conn = conn
        self.router = router
        self.opts = opts
        self.logged_in = False
        self.challenge = None
        self.held = None  # --reverse-pairs: the reply kept back until the next command

    def send(self, sentences):
        self.conn.sendall(b"".join(encode_sentence(s) for s in sentences))

    def run(self):
        if self.opts.silent:
            while self.conn.recv(4096):
                pass
            return
        while True:
            words = read_sentence(self.conn)
            if not words:
                continue
            cmd, rest = words[0], words[1:]
            tag = [w for w in rest if w.startswith(".tag=")]
            reply = self.handle(cmd, rest)
            if reply is None:
                return  # connection to be closed (the reply, if any, was already sent)
            for s in reply:
                s.extend(tag)
            if self.opts.drop_mid_sentence and self.logged_in and cmd != "/login":
                data = encode_sentence(reply[0])
                self.conn.sendall(data[: max(1, len(data) // 2)])
                return
            if self.opts.reverse_pairs and self.logged_in and cmd != "/login":
                if self.held is None:
                    self.held = reply
                    continue
                # Answer the later command first, interleaving the two replies sentence by
                # sentence, so a client must sort replies by .tag.
                first, second = reply, self.held
                self.held = None
                merged = []
                for i in range(max(len(first), len(second))):
                    merged += first[i : i + 1] + second[i : i + 1]
                self.send(merged)
                continue
            self.send(reply)

    def trap(self, message, category=None):
        words = ["!trap"]
        if category is not None:
            words.append("=category=%d" % category)
        words.append("=message=" + message)
        return [words, ["!done"]]

    def rows(self, rows, attrs):
        out = [["!re"] + row_words(project(r, attrs)) for r in rows]
        if not out and self.opts.empty_replies:
            out.append(["!empty"])  # RouterOS 7.18+
        return out + [["!done"]]

    def handle(self, cmd, rest):
        attrs = attributes(rest)
        queries = [w for w in rest if w.startswith("?")]
        if cmd == "/login":
            return self.login(attrs)
        if not self.logged_in:
            self.send([["!fatal", "not logged in"]])
            return None
        if cmd == self.opts.trap_on:
            return self.trap(self.opts.trap_message, 1)
        r = self.router
        with r.lock:
            if cmd == "/system/identity/print":
                return self.rows([{"name": r.identity}], attrs)
            if cmd == "/system/resource/print":
                return self.rows([r.resource], attrs)
            if cmd == "/ip/pool/print":
                return self.rows(r.pools, attrs)
            if cmd == "/ppp/active/print":
                return self.rows([a for a in r.active if matches(a, queries)], attrs)
            if cmd == "/ppp/active/remove":
                target = attrs.get(".id", attrs.get("numbers"))
                removed = [a for a in r.active if a.get(".id") == target]
                if not removed:
                    return self.trap("no such item", 1)
                r.active = [a for a in r.active if a.get(".id") != target]
                # A session's dynamic queue goes with it.
                names = {queue_name(a) for a in removed}
                r.queues = [
                    q for q in r.queues if not (q.get("dynamic") == "true" and q["name"] in names)
                ]
                return [["!done"]]
            if cmd == "/queue/simple/print":
                return self.rows([q for q in r.queues if matches(q, queries)], attrs)
            if cmd == "/test/queue/set":
                hit = [q for q in r.queues if q.get("name") == attrs.get("name")]
                if not hit or "max-limit" not in attrs:
                    return self.trap("no such item", 1)
                for q in hit:
                    q["max-limit"] = attrs["max-limit"]
                return [["!done"]]
            if cmd == "/test/queue/remove":
                before = len(r.queues)
                r.queues = [q for q in r.queues if q.get("name") != attrs.get("name")]
                if len(r.queues) == before:
                    return self.trap("no such item", 1)
                return [["!done"]]
            if cmd == "/cancel":
                return [["!done"]]
        if cmd == "/quit":
            self.send([["!fatal", "session terminated on request"]])
            return None
        return self.trap("no such command prefix", 0)

    def login(self, attrs):
        if self.opts.fatal_on_login:
            self.send([["!fatal", "simulated fatal at login"]])
            return None
        users = self.router.users
        name = attrs.get("name")
        refused = self.trap("invalid user name or password (6)")
        if "response" in attrs:
            # Legacy: response = "00" + hex(md5(0x00 + password + challenge)).
            if self.challenge is None or name not in users or self.opts.bad_password:
                return refused
            digest = hashlib.md5(b"\x00" + users[name].encode() + self.challenge).hexdigest()
            if attrs["response"] != "00" + digest:
                return refused
            self.logged_in = True
            return [["!done"]]
        if "password" in attrs and not self.opts.legacy_login:
            if name not in users or users[name] != attrs["password"] or self.opts.bad_password:
                return refused
            self.logged_in = True
            return [["!done"]]
        # A bare /login, or any /login to a pre-6.43 router: hand out a challenge.
        self.challenge = os.urandom(16)
        return [["!done", "=ret=" + self.challenge.hex()]]


# ---------------------------------------------------------------- server


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", required=True,
                   help="JSON: identity, users, resource, pools, active, queues")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--tls-adh", metavar="DHPARAMS", help="TLS without certificate: anonymous DH")
    p.add_argument("--legacy-login", action="store_true", help="behave as RouterOS < 6.43")
    p.add_argument("--drop-mid-sentence", action="store_true")
    p.add_argument("--trap-on", metavar="CMD")
    p.add_argument("--trap-message", default="simulated failure")
    p.add_argument("--fatal-on-login", action="store_true")
    p.add_argument("--silent", action="store_true")
    p.add_argument("--bad-password", action="store_true", help="refuse every login")
    p.add_argument("--reverse-pairs", action="store_true",
                   help="answer commands two at a time, later one first, interleaved")
    p.add_argument("--empty-replies", action="store_true", help="send !empty (RouterOS 7.18+)")
    opts = p.parse_args()

    with open(opts.seed) as f:
        router = Router(json.load(f))

    ctx = None
    if opts.tls_adh:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.set_ciphers("ADH-AES256-GCM-SHA384:ADH-AES128-SHA256:@SECLEVEL=0")
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_dh_params(opts.tls_adh)
    elif opts.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(opts.tls_cert, opts.tls_key)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", opts.port))
    listener.listen(16)
    print("READY %d" % listener.getsockname()[1], flush=True)

    def serve(conn):
        try:
            if ctx is not None:
                conn = ctx.wrap_socket(conn, server_side=True)
            Session(conn, router, opts).run()
        except (EOFError, OSError, ssl.SSLError, ProtocolError) as e:
            if not isinstance(e, EOFError):
                print("connection: %s" % e, file=sys.stderr, flush=True)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
