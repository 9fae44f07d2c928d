#pragma once
// Checks one response against the request it answers, with the project's decoder and
// authenticator checks. A response that fails any check is an error and never an accept:
// like a real NAS, the bench discards it and the request stays outstanding (RFC 2865 3).
#include <cstdint>
#include <string_view>

#include "core/crypto/md5.hpp"
#include "core/radius/packet.hpp"
#include "core/util/bytes.hpp"

namespace gatehouse::bench {

enum class Verdict : uint8_t {
    kAccept,     // Access-Accept, or Accounting-Response to an Accounting-Request
    kReject,     // Access-Reject
    kChallenge,  // Access-Challenge
    kMalformed,  // does not decode
    kWrongId,    // Identifier differs from the request's
    kBadAuthenticator,
    kBadMessageAuthenticator,
    kMissingMessageAuthenticator,  // only when Message-Authenticator is required
    kUnexpectedCode,               // e.g. Accounting-Response to an Access-Request
};

std::string_view verdictName(Verdict v);

inline bool isAnswer(Verdict v) {
    return v == Verdict::kAccept || v == Verdict::kReject || v == Verdict::kChallenge;
}

struct CheckResult {
    Verdict verdict;
    bool has_message_authenticator = false;
};

/// `request` is the request as sent (its authenticator at octet 4). `scratch` is reused so
/// that checking allocates nothing.
CheckResult checkResponse(ByteSpan response, ByteSpan request, const crypto::SharedSecret& secret,
                          bool require_message_authenticator, radius::Packet& scratch);

}  // namespace gatehouse::bench
