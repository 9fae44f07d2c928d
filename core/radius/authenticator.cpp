#include "core/radius/authenticator.hpp"

#include <cstring>

namespace gatehouse::radius {

namespace {

constexpr uint8_t kZeros[16] = {};

// HMAC-MD5 over the packet as RFC 2869 5.14 defines it: `auth` in the header's authenticator
// field and the Message-Authenticator value as 16 zero octets. The packet is fed in pieces, so
// nothing is copied: header, authenticator, attributes up to the MA value, zeros, the rest.
void computeMa(ByteSpan wire, size_t ma_value_offset, const uint8_t* auth,
               const crypto::SharedSecret& secret, uint8_t* out16) {
    secret.hmac().mac({wire.first(4), ByteSpan(auth, kAuthenticatorLength),
                       wire.subspan(kHeaderLength, ma_value_offset - kHeaderLength),
                       ByteSpan(kZeros, 16), wire.subspan(ma_value_offset + 16)},
                      out16);
}

MaCheck checkMa(const Packet& p, const uint8_t* auth, const crypto::SharedSecret& secret) {
    const AttrRef* ma = p.messageAuthenticator();
    if (ma == nullptr)
        return MaCheck::kAbsent;
    uint8_t mac[16];
    computeMa(p.wire(), ma->value_offset, auth, secret, mac);
    return crypto::equalConstantTime(mac, p.wire().data() + ma->value_offset, 16)
               ? MaCheck::kValid
               : MaCheck::kInvalid;
}

// MD5(Code + Id + Length + auth + Attributes + S): RFC 2865 3 (responses, auth = the request's),
// RFC 2866 3 and RFC 5176 3.5 (requests, auth = 16 zeros).
void computeAuthenticator(ByteSpan wire, const uint8_t* auth, const crypto::SharedSecret& secret,
                          uint8_t* out16) {
    crypto::Md5 h;
    h.update(wire.first(4));
    h.update(auth, kAuthenticatorLength);
    h.update(wire.subspan(kHeaderLength));
    h.update(secret.bytes());
    h.finish(out16);
}

}  // namespace

void computeMessageAuthenticator(ByteSpan wire, size_t ma_value_offset, const uint8_t* auth,
                                 const crypto::SharedSecret& secret, uint8_t* out16) {
    computeMa(wire, ma_value_offset, auth, secret, out16);
}

void computePacketAuthenticator(ByteSpan wire, const uint8_t* auth,
                                const crypto::SharedSecret& secret, uint8_t* out16) {
    computeAuthenticator(wire, auth, secret, out16);
}

void resignResponse(std::span<uint8_t> wire, size_t ma_value_offset, const uint8_t* request_auth,
                    const crypto::SharedSecret& secret) {
    const ByteSpan view(wire.data(), wire.size());
    if (ma_value_offset != 0)
        computeMa(view, ma_value_offset, request_auth, secret, wire.data() + ma_value_offset);
    uint8_t digest[16];
    computeAuthenticator(view, request_auth, secret, digest);
    std::memcpy(wire.data() + 4, digest, kAuthenticatorLength);
}

MaCheck checkRequestMessageAuthenticator(const Packet& request,
                                         const crypto::SharedSecret& secret) {
    // RFC 5176 3.5 / RFC 2866: these requests' MA is computed before their authenticator,
    // over 16 zero octets in its place (verified against radclient 3.2.1).
    const uint8_t* auth =
        hasHashedRequestAuthenticator(request.code()) ? kZeros : request.authenticator();
    return checkMa(request, auth, secret);
}

MaCheck checkResponseMessageAuthenticator(const Packet& response, const uint8_t* request_auth,
                                          const crypto::SharedSecret& secret) {
    return checkMa(response, request_auth, secret);
}

bool verifyRequestAuthenticator(const Packet& request, const crypto::SharedSecret& secret) {
    if (!hasHashedRequestAuthenticator(request.code()))
        return false;
    uint8_t expected[16];
    computeAuthenticator(request.wire(), kZeros, secret, expected);
    return crypto::equalConstantTime(expected, request.authenticator(), 16);
}

bool verifyResponseAuthenticator(ByteSpan response, const uint8_t* request_auth,
                                 const crypto::SharedSecret& secret) {
    // The caller may hand us a raw datagram: hash exactly Length octets, as the sender did.
    if (response.size() < kHeaderLength)
        return false;
    const size_t length = loadBe16(response.data() + 2);
    if (length < kHeaderLength || length > kMaxPacketLength || length > response.size()) {
        return false;
    }
    const ByteSpan wire = response.first(length);
    uint8_t expected[16];
    computeAuthenticator(wire, request_auth, secret, expected);
    return crypto::equalConstantTime(expected, wire.data() + 4, 16);
}

}  // namespace gatehouse::radius
