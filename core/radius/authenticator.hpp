#pragma once
// Checking the authenticators of a decoded packet (RFC 2865 3, RFC 2866 3, RFC 5176 3.5,
// RFC 2869 5.14, RFC 3579 3.2). Making them is PacketWriter's job.
#include <cstdint>

#include "core/crypto/md5.hpp"
#include "core/radius/packet.hpp"

namespace gatehouse::radius {

enum class MaCheck : uint8_t { kAbsent, kValid, kInvalid };

/// Message-Authenticator of a request (Access-Request and Status-Server hash their own
/// authenticator; Accounting, CoA and Disconnect requests hash 16 zero octets in its place).
MaCheck checkRequestMessageAuthenticator(const Packet& request, const crypto::SharedSecret& secret);
/// Message-Authenticator of a response, hashed with the request's authenticator.
MaCheck checkResponseMessageAuthenticator(const Packet& response, const uint8_t* request_auth,
                                          const crypto::SharedSecret& secret);

/// Accounting-Request, CoA-Request, Disconnect-Request: MD5(code+id+len+16 zeros+attrs+S).
/// Always false for other codes.
bool verifyRequestAuthenticator(const Packet& request, const crypto::SharedSecret& secret);
/// Any response: MD5(code+id+len+request authenticator+attrs+S).
bool verifyResponseAuthenticator(ByteSpan response, const uint8_t* request_auth,
                                 const crypto::SharedSecret& secret);

/// The primitives behind the checks, shared with PacketWriter. `wire` is exactly Length octets.
/// HMAC-MD5 of `wire` with `auth` in the authenticator field and the 16 octets at
/// `ma_value_offset` taken as zeros; nothing is copied.
void computeMessageAuthenticator(ByteSpan wire, size_t ma_value_offset, const uint8_t* auth,
                                 const crypto::SharedSecret& secret, uint8_t* out16);
/// MD5(code+id+len + auth + attrs + S).
void computePacketAuthenticator(ByteSpan wire, const uint8_t* auth,
                                const crypto::SharedSecret& secret, uint8_t* out16);

/// Signs a finished response again after one of its values was changed in place (an address
/// claimed after the answer was built): the Message-Authenticator at `ma_value_offset` (0:
/// none) and the Response Authenticator, both over the request's authenticator.
void resignResponse(std::span<uint8_t> wire, size_t ma_value_offset, const uint8_t* request_auth,
                    const crypto::SharedSecret& secret);

}  // namespace gatehouse::radius
