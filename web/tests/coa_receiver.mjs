// A stand-in for a NAS's Dynamic Authorization server (RFC 5176) for the browser tests: it
// receives the Disconnect-Request / CoA-Request that Gatehouse's jobs leader sends, checks them
// with the shared secret, records them decoded, and answers like a router would.
//
//   const coa = await startCoaReceiver({ secret: "testing123" });
//   coa.port; coa.received; coa.onDisconnect((packet) => ({ ack: false, errorCause: 503 }));
//   const packet = await coa.waitFor((p) => p.attrs["Acct-Session-Id"] === "s1", 10000);
//
// Checks on a request (a NAS drops what it cannot verify, RFC 5176 5.1 / RFC 3579 3.2):
//   Request Authenticator = MD5(Code + Identifier + Length + 16 zero octets + Attributes + Secret)
//   Message-Authenticator  = HMAC-MD5(Secret, packet with a zero Authenticator and a zero MA value)
// The answer (RFC 5176 3.5, as RFC 2866 3 for accounting):
//   Message-Authenticator first = HMAC-MD5 over the answer with the request's authenticator,
//   then Response Authenticator = MD5(Code + Identifier + Length + Request Authenticator +
//   Attributes + Secret).

import { createHash, createHmac } from "node:crypto";
import { createSocket } from "node:dgram";

const kCodes = {
  40: "Disconnect-Request",
  41: "Disconnect-ACK",
  42: "Disconnect-NAK",
  43: "CoA-Request",
  44: "CoA-ACK",
  45: "CoA-NAK",
};

// The attributes Gatehouse puts in a Disconnect or CoA (docs/coa.md); others stay hex.
const kAttributes = {
  1: ["User-Name", "string"],
  4: ["NAS-IP-Address", "ipv4"],
  8: ["Framed-IP-Address", "ipv4"],
  11: ["Filter-Id", "string"],
  26: ["Vendor-Specific", "hex"],
  27: ["Session-Timeout", "integer"],
  28: ["Idle-Timeout", "integer"],
  31: ["Calling-Station-Id", "string"],
  44: ["Acct-Session-Id", "string"],
  55: ["Event-Timestamp", "integer"],
  80: ["Message-Authenticator", "hex"],
  101: ["Error-Cause", "integer"],
};
const kMessageAuthenticator = 80;
const kErrorCause = 101;

function decodeValue(kind, bytes) {
  if (kind === "string") return bytes.toString("utf8");
  if (kind === "ipv4" && bytes.length === 4) return [...bytes].join(".");
  if (kind === "integer" && bytes.length === 4) return bytes.readUInt32BE(0);
  return `0x${bytes.toString("hex")}`;
}

/** Splits the attribute list; null when a length is wrong (a NAS drops such a packet). */
function parseAttributes(buf, length) {
  const attributes = [];
  for (let at = 20; at < length; ) {
    if (at + 2 > length) return null;
    const type = buf[at];
    const size = buf[at + 1];
    if (size < 2 || at + size > length) return null;
    const value = buf.subarray(at + 2, at + size);
    const [name, kind] = kAttributes[type] ?? [`Attr-${type}`, "hex"];
    attributes.push({ type, name, value: decodeValue(kind, value), offset: at, raw: Buffer.from(value) });
    at += size;
  }
  return attributes;
}

function md5(...parts) {
  const hash = createHash("md5");
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** Decodes and verifies one datagram; `verified` says whether both authenticators match. */
export function decodeRequest(buf, secret) {
  if (buf.length < 20) return null;
  const length = buf.readUInt16BE(2);
  if (length < 20 || length > buf.length) return null;
  const packet = buf.subarray(0, length);
  const attributes = parseAttributes(packet, length);
  if (!attributes) return null;
  const authenticator = Buffer.from(packet.subarray(4, 20));
  const zeroed = Buffer.from(packet);
  zeroed.fill(0, 4, 20);
  const authenticatorOk = md5(zeroed, Buffer.from(secret)).equals(authenticator);

  const ma = attributes.find((a) => a.type === kMessageAuthenticator);
  let messageAuthenticatorOk = null; // absent: RFC 5176 does not require it
  if (ma) {
    const copy = Buffer.from(zeroed);
    copy.fill(0, ma.offset + 2, ma.offset + 2 + 16);
    messageAuthenticatorOk = ma.raw.length === 16 && createHmac("md5", secret).update(copy).digest().equals(ma.raw);
  }
  const attrs = {};
  for (const a of attributes) attrs[a.name] ??= a.value;
  return {
    code: packet[0],
    codeName: kCodes[packet[0]] ?? `Code-${packet[0]}`,
    id: packet[1],
    authenticator,
    attributes: attributes.map(({ type, name, value }) => ({ type, name, value })),
    attrs,
    authenticatorOk,
    messageAuthenticatorOk,
    verified: authenticatorOk && messageAuthenticatorOk !== false,
  };
}

/** The answer to a request: Message-Authenticator first, Error-Cause on a NAK. */
export function encodeAnswer(request, code, secret, errorCause) {
  const attrs = [Buffer.concat([Buffer.from([kMessageAuthenticator, 18]), Buffer.alloc(16)])];
  if (errorCause !== undefined) {
    const cause = Buffer.alloc(6);
    cause[0] = kErrorCause;
    cause[1] = 6;
    cause.writeUInt32BE(errorCause, 2);
    attrs.push(cause);
  }
  const body = Buffer.concat(attrs);
  const answer = Buffer.concat([Buffer.alloc(20), body]);
  answer[0] = code;
  answer[1] = request.id;
  answer.writeUInt16BE(answer.length, 2);
  request.authenticator.copy(answer, 4);
  createHmac("md5", secret).update(answer).digest().copy(answer, 20 + 2);
  md5(answer, Buffer.from(secret)).copy(answer, 4);
  return answer;
}

/**
 * Starts the receiver on 127.0.0.1 and an ephemeral port. A handler returns
 * {ack: true} (the default), {ack: false, errorCause} for a NAK, or {drop: true}.
 */
export async function startCoaReceiver({ secret = "testing123" } = {}) {
  const socket = createSocket("udp4");
  const received = [];
  const waiters = [];
  const handlers = { 40: () => ({ ack: true }), 43: () => ({ ack: true }) };

  const receiver = {
    port: 0,
    secret,
    received,
    /** Every datagram that did not verify or parse, for the test's messages. */
    rejected: [],
    onDisconnect(fn) {
      handlers[40] = fn;
    },
    onCoa(fn) {
      handlers[43] = fn;
    },
    /** Resolves with the first packet (already received or not) that matches, or rejects. */
    waitFor(predicate, timeoutMs = 10000) {
      const seen = received.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = { predicate, resolve };
        waiter.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no matching CoA/Disconnect within ${timeoutMs} ms (received ${received.length})`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    close() {
      for (const w of waiters.splice(0)) clearTimeout(w.timer);
      return new Promise((done) => socket.close(() => done()));
    },
  };

  socket.on("message", (buf, from) => {
    const packet = decodeRequest(buf, receiver.secret);
    if (!packet || !packet.verified || !(packet.code in handlers)) {
      receiver.rejected.push(packet ?? { malformed: buf.toString("hex") });
      return;
    }
    packet.from = `${from.address}:${from.port}`;
    received.push(packet);
    let decision;
    try {
      decision = handlers[packet.code](packet) ?? { ack: true };
    } catch {
      decision = { ack: false, errorCause: 506 }; // Resources-Unavailable
    }
    packet.answer = decision;
    if (!decision.drop) {
      const code = packet.code + (decision.ack === false ? 2 : 1);
      socket.send(encodeAnswer(packet, code, receiver.secret, decision.ack === false ? decision.errorCause : undefined), from.port, from.address);
    }
    for (const waiter of [...waiters]) {
      if (waiter.predicate(packet)) {
        clearTimeout(waiter.timer);
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(packet);
      }
    }
  });

  await new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => {
      socket.off("error", reject);
      resolve();
    });
  });
  receiver.port = socket.address().port;
  return receiver;
}
