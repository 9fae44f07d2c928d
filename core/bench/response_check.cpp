#include "core/bench/response_check.hpp"

#include "core/radius/authenticator.hpp"
#include "core/radius/dictionary.hpp"

namespace gatehouse::bench {

using radius::Code;

std::string_view verdictName(Verdict v) {
    switch (v) {
        case Verdict::kAccept:
            return "accept";
        case Verdict::kReject:
            return "reject";
        case Verdict::kChallenge:
            return "challenge";
        case Verdict::kMalformed:
            return "malformed";
        case Verdict::kWrongId:
            return "wrong_id";
        case Verdict::kBadAuthenticator:
            return "bad_authenticator";
        case Verdict::kBadMessageAuthenticator:
            return "bad_message_authenticator";
        case Verdict::kMissingMessageAuthenticator:
            return "missing_message_authenticator";
        case Verdict::kUnexpectedCode:
            return "unexpected_code";
    }
    return "unknown";
}

CheckResult checkResponse(ByteSpan response, ByteSpan request, const crypto::SharedSecret& secret,
                          bool require_message_authenticator, radius::Packet& scratch) {
    if (request.size() < radius::kHeaderLength)
        return {Verdict::kMalformed};
    if (!radius::decodeInto(response, radius::Dictionary::builtin(), scratch)) {
        return {Verdict::kMalformed};
    }
    if (scratch.id() != request[1])
        return {Verdict::kWrongId};
    const uint8_t* request_auth = request.data() + 4;
    // RFC 2865 3: MD5(Code+Id+Length+RequestAuth+Attributes+Secret). Checked before the code,
    // so that nothing about an unauthenticated packet is believed.
    if (!radius::verifyResponseAuthenticator(scratch.wire(), request_auth, secret)) {
        return {Verdict::kBadAuthenticator};
    }
    const auto request_code = static_cast<Code>(request[0]);
    const Code code = scratch.code();
    Verdict answer;
    if (request_code == Code::kAccountingRequest) {
        if (code != Code::kAccountingResponse)
            return {Verdict::kUnexpectedCode};
        answer = Verdict::kAccept;
    } else if (code == Code::kAccessAccept) {
        answer = Verdict::kAccept;
    } else if (code == Code::kAccessReject) {
        answer = Verdict::kReject;
    } else if (code == Code::kAccessChallenge && request_code == Code::kAccessRequest) {
        answer = Verdict::kChallenge;
    } else {
        return {Verdict::kUnexpectedCode};
    }
    // RFC 3579 3.2 / BlastRADIUS: an MA that is present must be valid; one that is absent is
    // an error only when asked for (FreeRADIUS 3.2.1 sends none outside EAP).
    switch (radius::checkResponseMessageAuthenticator(scratch, request_auth, secret)) {
        case radius::MaCheck::kInvalid:
            return {Verdict::kBadMessageAuthenticator, true};
        case radius::MaCheck::kAbsent:
            if (require_message_authenticator && request_code != Code::kAccountingRequest) {
                return {Verdict::kMissingMessageAuthenticator};
            }
            return {answer, false};
        case radius::MaCheck::kValid:
            break;
    }
    return {answer, true};
}

}  // namespace gatehouse::bench
