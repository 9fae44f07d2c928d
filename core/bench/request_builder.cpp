#include "core/bench/request_builder.hpp"

#include <arpa/inet.h>

#include <algorithm>

#include "core/crypto/chap.hpp"
#include "core/crypto/mschap.hpp"

namespace gatehouse::bench {

namespace {

using radius::Code;
namespace attr = radius::attr;

constexpr uint32_t kServiceFramed = 2;     // RFC 2865 5.6
constexpr uint32_t kNasPortEthernet = 15;  // RFC 2865 5.41: PPPoE
constexpr uint32_t kAcctAuthRadius = 1;    // RFC 2866 5.6
constexpr uint32_t kTerminateUserRequest = 1;
constexpr uint32_t kInterimSeconds = 300;

uint32_t parseIpv4(const std::string& text) {
    in_addr a{};
    if (inet_pton(AF_INET, text.c_str(), &a) != 1)
        return 0;
    return ntohl(a.s_addr);
}

}  // namespace

RequestBuilder::RequestBuilder(const Options& options, uint32_t run_nonce)
    : mode_(options.mode),
      secret_(options.secret),
      user_pattern_(options.user_pattern),
      password_pattern_(options.password_pattern),
      nas_ip_(parseIpv4(options.nas_ip)),
      interims_(options.interims),
      run_nonce_(run_nonce),
      message_authenticator_(options.message_authenticator) {}

AcctStatus RequestBuilder::acctStatus(uint32_t step) const {
    if (step == 0)
        return AcctStatus::kStart;
    if (step > interims_)
        return AcctStatus::kStop;
    return AcctStatus::kInterimUpdate;
}

size_t RequestBuilder::writeSessionId(uint64_t session_number, char* out) const {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (int i = 0; i < 8; ++i)
        out[i] = kHex[(run_nonce_ >> (28 - 4 * i)) & 15];
    for (int i = 0; i < 16; ++i)
        out[8 + i] = kHex[(session_number >> (60 - 4 * i)) & 15];
    return 24;
}

std::string RequestBuilder::sessionId(uint64_t session_number) const {
    std::string s(24, '\0');
    writeSessionId(session_number, s.data());
    return s;
}

Expected<size_t, radius::EncodeError> RequestBuilder::build(
    const RequestSpec& spec, std::span<uint8_t, radius::kMaxPacketLength> buf,
    RandomPool& rng) const {
    radius::PacketWriter w(buf);
    char name[300];
    size_t name_len = user_pattern_.format(spec.user, name);
    std::string_view user(name, name_len);

    if (mode_ == Mode::kAcct) {
        const AcctStatus status = acctStatus(spec.acct_step);
        w.begin(Code::kAccountingRequest, spec.id);
        w.addInteger(attr::kAcctStatusType, static_cast<uint32_t>(status));
        w.addString(attr::kUserName, user);
        char sid[24];
        w.addString(attr::kAcctSessionId,
                    std::string_view(sid, writeSessionId(spec.session_number, sid)));
        w.addIpv4(attr::kNasIpAddress, nas_ip_);
        w.addInteger(attr::kNasPort, spec.user);
        w.addInteger(attr::kNasPortType, kNasPortEthernet);
        w.addInteger(attr::kServiceType, kServiceFramed);
        w.addIpv4(attr::kFramedIpAddress, (10u << 24) | ((spec.user + 1) & 0xffffffu));
        w.addInteger(45 /* Acct-Authentic */, kAcctAuthRadius);
        w.addInteger(attr::kAcctDelayTime, 0);
        w.addInteger(attr::kEventTimestamp, spec.event_time);
        if (status != AcctStatus::kStart) {
            // Counters grow with every interim so a server can check they never go down.
            const uint64_t in = uint64_t{spec.acct_step} * 1'000'003u;
            const uint64_t out = uint64_t{spec.acct_step} * 9'000'011u;
            w.addInteger(attr::kAcctSessionTime, spec.acct_step * kInterimSeconds);
            w.addInteger(attr::kAcctInputOctets, static_cast<uint32_t>(in));
            w.addInteger(attr::kAcctOutputOctets, static_cast<uint32_t>(out));
            w.addInteger(attr::kAcctInputGigawords, static_cast<uint32_t>(in >> 32));
            w.addInteger(attr::kAcctOutputGigawords, static_cast<uint32_t>(out >> 32));
            w.addInteger(47 /* Acct-Input-Packets */, spec.acct_step * 1000u);
            w.addInteger(48 /* Acct-Output-Packets */, spec.acct_step * 3000u);
        }
        if (status == AcctStatus::kStop) {
            w.addInteger(attr::kAcctTerminateCause, kTerminateUserRequest);
        }
        auto done = w.finishRequest(secret_);
        if (!done)
            return unexpected(done.error());
        return done->size();
    }

    uint8_t request_auth[radius::kAuthenticatorLength];
    rng.take(request_auth, sizeof(request_auth));
    if (mode_ == Mode::kStatus) {
        // RFC 5997 3: Status-Server always carries a Message-Authenticator.
        w.begin(Code::kStatusServer, spec.id, request_auth);
        w.addMessageAuthenticator();
        w.addIpv4(attr::kNasIpAddress, nas_ip_);
        auto done = w.finishRequest(secret_);
        if (!done)
            return unexpected(done.error());
        return done->size();
    }

    w.begin(Code::kAccessRequest, spec.id, request_auth);
    // BlastRADIUS (draft-ietf-radext-deprecating-radius): MA first in every Access-Request.
    if (message_authenticator_)
        w.addMessageAuthenticator();
    w.addString(attr::kUserName, user);
    char pass[300];
    size_t pass_len = password_pattern_.format(spec.user, pass);
    ByteSpan password(reinterpret_cast<const uint8_t*>(pass), pass_len);
    switch (mode_) {
        case Mode::kPap:
            w.addUserPassword(password, secret_, request_auth);
            break;
        case Mode::kChap: {
            // RFC 2865 5.3/5.40: CHAP-Password = ident + MD5(ident + password + challenge); the
            // challenge travels in CHAP-Challenge, as MikroTik sends it.
            uint8_t challenge[16];
            rng.take(challenge, sizeof(challenge));
            uint8_t chap[17];
            chap[0] = spec.id;
            crypto::Digest16 r = crypto::chapResponse(chap[0], password, ByteSpan(challenge));
            std::copy(r.begin(), r.end(), chap + 1);
            w.add(attr::kChapPassword, ByteSpan(chap));
            w.add(attr::kChapChallenge, ByteSpan(challenge));
            break;
        }
        case Mode::kMsChapV2: {
            // RFC 2548 2.3.2 / RFC 2759: the NAS's 16-octet challenge, and the peer's response
            // (ident, flags 0, peer challenge, 8 reserved zeros, NT-Response).
            uint8_t challenges[32];
            rng.take(challenges, sizeof(challenges));
            ByteSpan auth_challenge(challenges, 16);
            ByteSpan peer_challenge(challenges + 16, 16);
            const crypto::NtHash hash = crypto::ntPasswordHash(std::string_view(pass, pass_len));
            const crypto::Response24 nt =
                crypto::generateNtResponse(auth_challenge, peer_challenge, user, hash);
            uint8_t response[50] = {};
            response[0] = spec.id;
            std::copy(peer_challenge.begin(), peer_challenge.end(), response + 2);
            std::copy(nt.begin(), nt.end(), response + 26);
            w.addVendor(radius::vendor::kMicrosoft, radius::ms::kChapChallenge, auth_challenge);
            w.addVendor(radius::vendor::kMicrosoft, radius::ms::kChap2Response, ByteSpan(response));
            break;
        }
        default:
            break;
    }
    w.addIpv4(attr::kNasIpAddress, nas_ip_);
    w.addInteger(attr::kNasPort, spec.user);
    w.addInteger(attr::kNasPortType, kNasPortEthernet);
    w.addInteger(attr::kServiceType, kServiceFramed);
    auto done = w.finishRequest(secret_);
    if (!done)
        return unexpected(done.error());
    return done->size();
}

}  // namespace gatehouse::bench
