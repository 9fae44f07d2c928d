// Fuzz target: one datagram through the whole codec. decodeInto must never crash or read out
// of bounds; on success everything downstream is exercised and two properties are checked:
// re-encoding the attributes gives a packet of the same length, and every scalar value's
// text form parses back to the same octets.
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/crypto/hiding.hpp"
#include "core/radius/authenticator.hpp"
#include "core/radius/packet.hpp"
#include "core/radius/value.hpp"
#include "core/radius/writer.hpp"
#include "tests/unit/radius/codec_test_dict.hpp"

using namespace gatehouse;
using namespace gatehouse::radius;

namespace {

[[noreturn]] void broken(const char* what, const Packet& p) {
    std::fprintf(stderr, "property broken: %s\npacket: %s\n", what, toHex(p.wire()).c_str());
    std::abort();
}

bool textRoundTrips(const AttrDef& def) {
    return def.type != DataType::kTlv && !def.array && def.encrypt == Encrypt::kNone;
}

void reencode(const Dictionary& dict, const Packet& p, const crypto::SharedSecret& secret) {
    static std::array<uint8_t, kMaxPacketLength> buf;
    PacketWriter w(buf, &dict);
    const bool random_auth = p.code() == Code::kAccessRequest || p.code() == Code::kStatusServer;
    w.begin(p.code(), p.id(), random_auth ? p.authenticator() : nullptr);
    const ByteSpan wire = p.wire();
    int open_vsa = -1;
    for (const AttrRef& a : p.attributes()) {
        if (a.vendor != 0) {
            if (open_vsa != a.attr_offset) {
                w.beginVendor(a.vendor);
                open_vsa = a.attr_offset;
            }
            w.addVendorSub(static_cast<uint8_t>(a.type), p.value(a));
            continue;
        }
        open_vsa = -1;
        if (a.type == attr::kMessageAuthenticator) {
            w.addMessageAuthenticator();
            continue;
        }
        // Standard, opaque VSA or RFC 6929: the attribute's own octets after type and length.
        const size_t len = wire[a.attr_offset + 1];
        w.add(wire[a.attr_offset], wire.subspan(a.attr_offset + 2u, len - 2));
    }
    const Code c = p.code();
    if (c == Code::kStatusClient)
        return;
    auto out = isRequest(c) ? w.finishRequest(secret) : w.finishResponse(secret, p.authenticator());
    if (!out)
        broken("re-encode failed", p);
    if (out->size() != wire.size())
        broken("re-encoded length differs", p);
    auto again = decodePacket(*out, dict);
    if (!again || again->attributes().size() != p.attributes().size()) {
        broken("re-encoded packet decodes differently", p);
    }
    if (!isRequest(c) && !verifyResponseAuthenticator(*out, p.authenticator(), secret)) {
        broken("own response does not verify", p);
    }
    if (again->messageAuthenticator() != nullptr) {
        const MaCheck m =
            isRequest(c) ? checkRequestMessageAuthenticator(*again, secret)
                         : checkResponseMessageAuthenticator(*again, p.authenticator(), secret);
        if (m != MaCheck::kValid)
            broken("own Message-Authenticator does not verify", p);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const Dictionary& dict = test::codecDict();
    static const crypto::SharedSecret secret("testing123");
    static Packet packet;  // reused, as a worker does
    const ByteSpan in(data, size);
    auto r = decodeInto(in, dict, packet);
    if (!r) {
        (void)describe(r.error());
        (void)decodeErrorName(r.error().kind);
        return 0;
    }
    const Packet& p = packet;
    (void)formatPacket(dict, p);
    (void)checkRequestMessageAuthenticator(p, secret);
    (void)checkResponseMessageAuthenticator(p, p.authenticator(), secret);
    (void)verifyRequestAuthenticator(p, secret);
    (void)verifyResponseAuthenticator(in, p.authenticator(), secret);

    Bytes joined;
    uint8_t plain[256];
    for (const AttrRef& a : p.attributes()) {
        joined.clear();
        p.joinValues(a.vendor, a.type, a.ext, joined);
        const ByteSpan v = p.value(a);
        if (a.def == nullptr)
            continue;
        (void)p.find(*a.def);
        const std::string text = formatValue(dict, *a.def, v);
        if (a.def->encrypt == Encrypt::kUserPassword) {
            (void)crypto::unhideUserPassword(v, secret, p.authenticator(), plain);
        } else if (a.def->encrypt == Encrypt::kTunnelPassword) {
            (void)crypto::saltDecrypt(a.def->has_tag && !v.empty() ? v.subspan(1) : v, secret,
                                      p.authenticator(), plain);
        }
        if ((a.flags & (AttrRef::kWrongSize | AttrRef::kMore)) == 0 && textRoundTrips(*a.def)) {
            auto back = parseValue(dict, *a.def, text);
            if (!back)
                broken("formatted value does not parse", p);
            // An IPv6 prefix may carry more prefix octets than its length needs (RFC 8044
            // 3.10); the text is the same, the octets are the minimal form.
            if (a.def->type == DataType::kIpv6Prefix) {
                if (formatValue(dict, *a.def, *back) != text)
                    broken("prefix text round trip", p);
            } else if (*back != Bytes(v.begin(), v.end())) {
                broken("text round trip", p);
            }
        }
    }
    reencode(dict, p, secret);
    return 0;
}
