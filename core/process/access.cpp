#include "core/process/access.hpp"

#include <arpa/inet.h>
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <utility>

#include "core/crypto/chap.hpp"
#include "core/crypto/hiding.hpp"
#include "core/crypto/mschap.hpp"
#include "core/crypto/pap.hpp"
#include "core/policy/worker_policy.hpp"
#include "core/radius/authenticator.hpp"
#include "core/store/live_state.hpp"

namespace gatehouse::process {

namespace {

using radius::AttrRef;
using radius::Code;
using radius::PacketWriter;
namespace attr = radius::attr;
constexpr uint32_t kMs = radius::vendor::kMicrosoft;
namespace ms = radius::ms;

enum class Method : uint8_t { kNone, kPap, kChap, kMsChapV1, kMsChapV2 };

// "Why was I rejected?" is the first question after "why no answer?": each reject is logged
// with its reason. A password spray or a misconfigured BNG rejects thousands a second, so each
// worker thread logs at most LineLimiter::kLinesPerSecond lines a second and the next line says how
// many were left out. One instance per worker thread: no lock.
struct LineLimiter {
    int64_t window_ms = 0;
    uint32_t lines = 0;
    uint64_t suppressed = 0;

    /// nullopt: suppressed; else how many were suppressed before this one.
    std::optional<uint64_t> admit(int64_t now_ms) {
        // A clock behind the window (another pipeline's Now on this thread, in tests): restart.
        if (lines == 0 || now_ms - window_ms >= 1000 || now_ms < window_ms) {
            window_ms = now_ms;
            lines = 0;
        }
        if (lines >= kLinesPerSecond) {
            ++suppressed;
            return std::nullopt;
        }
        ++lines;
        return std::exchange(suppressed, 0);
    }
    static constexpr uint32_t kLinesPerSecond = 10;
};
thread_local LineLimiter t_reject_log;
thread_local LineLimiter t_static_conflict_log;

// The User-Name comes from the wire: keep the line one printable line.
std::string printableUser(std::string_view user) {
    std::string safe(user.substr(0, 64));
    for (char& c : safe) {
        if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
            c = '?';
    }
    return safe;
}

void logReject(int64_t now_ms, std::string_view nas_ip, std::string_view user,
               std::string_view reason) {
    if (auto suppressed = t_reject_log.admit(now_ms))
        logToStderr(fmt::format("radius.reject nas={} user=\"{}\" reason=\"{}\" suppressed={}",
                                nas_ip, printableUser(user), reason, *suppressed));
}

// A static address held by someone else, answered with a fallback address: the operator has
// two subscribers to sort out (docs/ipam.md; also in table ip_static_conflicts).
void logStaticFallback(int64_t now_ms, std::string_view nas_ip, std::string_view user,
                       std::string_view note) {
    if (auto suppressed = t_static_conflict_log.admit(now_ms))
        logToStderr(fmt::format("ipam.static_conflict nas={} user=\"{}\" {} suppressed={}", nas_ip,
                                printableUser(user), note, *suppressed));
}

std::string_view methodName(Method m) {
    switch (m) {
        case Method::kPap:
            return "pap";
        case Method::kChap:
            return "chap";
        case Method::kMsChapV1:
            return "mschapv1";
        case Method::kMsChapV2:
            return "mschapv2";
        case Method::kNone:
            break;
    }
    return "none";
}

bool isMsChap(Method m) {
    return m == Method::kMsChapV1 || m == Method::kMsChapV2;
}

// What the request carries. Decoding already refused a User-Password of a bad length and a
// CHAP-Password that is not 17 octets (radius-wire.md 6, 8).
struct Credentials {
    Method method = Method::kNone;
    const AttrRef* secret_attr = nullptr;  // User-Password, CHAP-Password, MS-CHAP(2)-Response
    const AttrRef* challenge = nullptr;    // CHAP-Challenge or MS-CHAP-Challenge
};

Credentials findCredentials(const radius::Packet& p) {
    Credentials c;
    if ((c.secret_attr = p.find(0, attr::kUserPassword))) {
        c.method = Method::kPap;
    } else if ((c.secret_attr = p.find(0, attr::kChapPassword))) {
        c.method = Method::kChap;
        c.challenge = p.find(0, attr::kChapChallenge);
    } else if ((c.secret_attr = p.find(kMs, ms::kChap2Response))) {
        c.method = Method::kMsChapV2;
        c.challenge = p.find(kMs, ms::kChapChallenge);
    } else if ((c.secret_attr = p.find(kMs, ms::kChapResponse))) {
        c.method = Method::kMsChapV1;
        c.challenge = p.find(kMs, ms::kChapChallenge);
    }
    // MS-CHAP without its challenge is unusable: treat as no credentials.
    if (isMsChap(c.method) && !c.challenge)
        c.method = Method::kNone;
    return c;
}

// Per-request results of a successful MS-CHAP check that go into the Access-Accept.
struct MsChapOutcome {
    crypto::MsChapV2Result v2;
    crypto::MsChapV1Result v1;
};

bool checkCredentials(const radius::Packet& p, const Credentials& c,
                      const store::SubscriberEntry& sub, const crypto::SharedSecret& secret,
                      std::string_view user, MsChapOutcome& ms_out) {
    const ByteSpan value = p.value(*c.secret_attr);
    switch (c.method) {
        case Method::kPap:
            return crypto::papVerify(value, secret, p.authenticator(), asBytes(sub.password));
        case Method::kChap: {
            // RFC 2865 5.3: without CHAP-Challenge the Request Authenticator is the challenge.
            const ByteSpan challenge =
                c.challenge ? p.value(*c.challenge)
                            : ByteSpan(p.authenticator(), radius::kAuthenticatorLength);
            return crypto::chapVerify(value, asBytes(sub.password), challenge);
        }
        case Method::kMsChapV2:
            ms_out.v2 = crypto::verifyMsChapV2(value, p.value(*c.challenge), user, sub.nt_hash);
            return ms_out.v2.ok;
        case Method::kMsChapV1:
            ms_out.v1 = crypto::verifyMsChapV1(value, p.value(*c.challenge), sub.nt_hash);
            return ms_out.v1.ok;
        case Method::kNone:
            break;
    }
    return false;
}

// RFC 2759 6 / RFC 2548 2.1.5: MS-CHAP-Error, the one vendor attribute a Reject carries.
void addMsChapError(const radius::Packet& p, const Credentials& c, uint16_t code, PacketWriter& w) {
    const ByteSpan response = p.value(*c.secret_attr);
    const uint8_t ident = response.empty() ? 0 : response[0];
    std::array<uint8_t, 16> challenge;
    crypto::randomBytes(challenge.data(), challenge.size());
    // Clients may show M= to the user: say no more than the code says.
    const std::string error =
        crypto::msChapError(ident, static_cast<crypto::MsChapErrorCode>(code), false, challenge,
                            code == 691 ? "Authentication failed" : "Access denied");
    w.addVendor(kMs, ms::kChapError, asBytes(error));
}

}  // namespace

Outcome AccessPipeline::handle(const Datagram& in, const store::Snapshot& snapshot, Now now,
                               ReplyBuffer out) {
    const store::NasEntry* nas = admit(in, snapshot, now, env_, packet_);
    if (!nas)
        return Outcome::drop();
    switch (packet_.code()) {
        case Code::kAccessRequest:
            return accessRequest(in, *nas, snapshot, now, out);
        case Code::kStatusServer:
            return answerStatusServer(packet_, *nas, Port::kAuth, env_.counters, out);
        default:
            env_.counters.drop(DropKind::kWrongCode);
            return Outcome::drop();
    }
}

Outcome AccessPipeline::accessRequest(const Datagram& in, const store::NasEntry& nas,
                                      const store::Snapshot& snapshot, Now now, ReplyBuffer out) {
    // BlastRADIUS (radius-wire.md 7): a wrong MA is always dropped; a missing one when the NAS
    // requires it, or, for old gear that cannot send it, when Proxy-State (the attacker's
    // usual carrier) is present and limit_proxy_state is on.
    switch (radius::checkRequestMessageAuthenticator(packet_, *nas.secret)) {
        case radius::MaCheck::kInvalid:
            env_.counters.drop(DropKind::kBadMessageAuthenticator);
            return Outcome::drop();
        case radius::MaCheck::kAbsent:
            if (nas.require_message_authenticator) {
                env_.counters.drop(DropKind::kMissingMessageAuthenticator);
                return Outcome::drop();
            }
            if (nas.limit_proxy_state && packet_.find(0, attr::kProxyState)) {
                env_.counters.drop(DropKind::kProxyStateWithoutMa);
                return Outcome::drop();
            }
            break;
        case radius::MaCheck::kValid:
            break;
    }

    // Only after the MA check, so a forged packet cannot occupy a cache slot.
    DuplicateCache::Lookup seen;
    if (auto repeated = checkDuplicate(duplicates_, in, packet_, now, env_.counters, out, seen))
        return *repeated;

    src_ipv4_ = in.src_ipv4;
    Outcome result = evaluate(nas, snapshot, now, out);
    if (result.claim) {
        claim_.lookup = seen;  // completed by finishClaim() with the answer it becomes
        return result;
    }
    if (result.reply)
        duplicates_.complete(seen, result.bytes, now.steady_ms);
    else
        duplicates_.abandon(seen);
    return result;
}

Outcome AccessPipeline::evaluate(const store::NasEntry& nas, const store::Snapshot& snapshot,
                                 Now now, ReplyBuffer out) {
    const crypto::SharedSecret& secret = *nas.secret;
    const uint8_t* request_auth = packet_.authenticator();
    const AttrRef* user_attr = packet_.find(0, attr::kUserName);
    const std::string_view user = user_attr ? packet_.text(*user_attr) : std::string_view{};
    const store::SubscriberEntry* sub = user_attr ? snapshot.subscriber(user) : nullptr;
    const Credentials creds = findCredentials(packet_);

    PacketWriter w(out, &env_.dict);
    auto reject = [&](uint16_t mschap_code, const policy::Decision* decision) -> Outcome {
        w.begin(Code::kAccessReject, packet_.id());
        w.addMessageAuthenticator();  // BlastRADIUS: first in every Access-Reject too
        // RFC 2865 5.44 (with RFC 3579): a Reject carries Reply-Message (and MS-CHAP-Error).
        if (decision) {
            for (const policy::ReplyAttribute& a : decision->reply) {
                if (a.def && a.def->vendor == 0 && a.def->number == attr::kReplyMessage)
                    w.add(*a.def, a.value, secret, request_auth, a.tag);
            }
        }
        if (isMsChap(creds.method))
            addMsChapError(packet_, creds, mschap_code, w);
        echoProxyState(packet_, w);
        auto done = w.finishResponse(secret, request_auth);
        if (!done) {
            env_.counters.drop(DropKind::kEncodeFailed);
            return Outcome::drop();
        }
        return Outcome{true, *done};
    };

    auto rejected = [&](std::string_view reason) {
        logReject(now.steady_ms, nas.nas.ip, user, reason);
        logEvent(env_, now, "reject", user, src_ipv4_, reason);
    };
    constexpr uint16_t kAuthFailure =
        static_cast<uint16_t>(crypto::MsChapErrorCode::kAuthenticationFailure);
    if (creds.method == Method::kNone) {
        env_.counters.reject(RejectKind::kNoCredentials);
        rejected("no credentials");
        return reject(kAuthFailure, nullptr);
    }
    if (!sub) {
        env_.counters.reject(RejectKind::kUnknownUser);
        rejected("unknown user");
        return reject(kAuthFailure, nullptr);
    }
    MsChapOutcome ms_result;
    if (!checkCredentials(packet_, creds, *sub, secret, user, ms_result)) {
        env_.counters.reject(RejectKind::kBadPassword);
        rejected("bad password");
        return reject(kAuthFailure, nullptr);
    }

    env_.policy.refresh();  // between two requests: picks up a reload
    policy::RequestContext ctx;
    ctx.request = &packet_;
    ctx.dict = &env_.dict;
    ctx.auth_method = methodName(creds.method);
    ctx.subscriber = sub->subscriber.get();
    std::optional<policy::LiveCounters> live;
    if (env_.live != nullptr)
        live = env_.live->get(sub->subscriber->id);
    ctx.live = live ? &*live : nullptr;
    ctx.nas = &nas.nas;
    ctx.settings = &snapshot.settings();
    ctx.now = now.unix_s;
    const policy::Decision decision = env_.policy.authorize(ctx);
    if (!decision.accept) {
        if (!decision.policy_error.empty()) {
            env_.counters.reject(RejectKind::kPolicyError);
            rejected("policy error");
        } else {
            env_.counters.policyReject(decision.reason);
            rejected(decision.reason);
        }
        return reject(decision.mschap_error.value_or(kAuthFailure), &decision);
    }

    w.begin(Code::kAccessAccept, packet_.id());
    w.addMessageAuthenticator();
    for (const policy::ReplyAttribute& a : decision.reply) {
        if (a.def)
            w.add(*a.def, a.value, secret, request_auth, a.tag);
    }
    size_t claim_ip_offset = 0;  // an address to claim: where its value goes
    switch (decision.ip.kind) {
        case policy::IpRule::kStatic: {
            in_addr addr{};
            if (inet_pton(AF_INET, decision.ip.address.c_str(), &addr) != 1)
                break;  // checked when the decision was converted
            if (decision.ip.on_conflict && env_.ip_claims) {
                // Checked against other subscribers' sessions first (docs/ipam.md "Static
                // address conflicts"): held like a pool claim, the address patched in after.
                claim_ip_offset = w.size() + 2;
                w.addIpv4(attr::kFramedIpAddress, 0);
            } else {
                w.addIpv4(attr::kFramedIpAddress, ntohl(addr.s_addr));
            }
            break;
        }
        case policy::IpRule::kNasPool:
            w.addString(attr::kFramedPool, decision.ip.pool);
            break;
        case policy::IpRule::kManagedPool:
        case policy::IpRule::kClaim:
            if (!env_.ip_claims) {  // no database, so no pools (--seed)
                env_.counters.ipRuleNotImplemented();
                break;
            }
            claim_ip_offset = w.size() + 2;
            w.addIpv4(attr::kFramedIpAddress, 0);  // the claimed address, in finishClaim()
            break;
        case policy::IpRule::kNone:
            break;
    }
    if (decision.session_timeout)
        w.addInteger(attr::kSessionTimeout, *decision.session_timeout);
    if (decision.idle_timeout)
        w.addInteger(attr::kIdleTimeout, *decision.idle_timeout);
    if (creds.method == Method::kMsChapV2) {
        // RFC 2548 2.3.3 and 2.4.2-3: the authenticator response, then the MPPE start keys,
        // salted with the Request Authenticator (each its own salt).
        w.addVendor(kMs, ms::kChap2Success, asBytes(ms_result.v2.success));
        w.addSalted(kMs, ms::kMppeSendKey, ms_result.v2.send_key, secret, request_auth,
                    crypto::nextSalt());
        w.addSalted(kMs, ms::kMppeRecvKey, ms_result.v2.recv_key, secret, request_auth,
                    crypto::nextSalt());
    } else if (creds.method == Method::kMsChapV1) {
        // RFC 2548 2.4.1: MS-CHAP-MPPE-Keys, hidden as User-Password is (encrypt=1).
        if (const radius::AttrDef* keys = env_.dict.find(kMs, ms::kChapMppeKeys))
            w.add(*keys, ms_result.v1.mppe_keys, secret, request_auth);
    }
    echoProxyState(packet_, w);
    auto done = w.finishResponse(secret, request_auth);
    if (!done) {
        env_.counters.drop(DropKind::kEncodeFailed);
        return Outcome::drop();
    }
    std::string detail =
        decision.tier > 0 ? fmt::format("{{\"tier\":{}}}", decision.tier) : std::string{};
    if (claim_ip_offset != 0) {
        // Held for its address: keep the Accept, and build the Reject it becomes without one
        // now, while the request is at hand.
        claim_.accept.assign(done->begin(), done->end());
        claim_.ip_offset = claim_ip_offset;
        claim_.request = store::IpClaimRequest{
            decision.ip.pool, decision.ip.address, sub->subscriber->id, nas.nas.id, 0, {}};
        if (decision.ip.kind == policy::IpRule::kStatic) {
            claim_.request.static_attempts = decision.ip.on_conflict->attempts;
            claim_.request.static_subnet = decision.ip.on_conflict->subnet;
        }
        std::copy(request_auth, request_auth + 16, claim_.request_auth.begin());
        claim_.secret = nas.secret;
        claim_.username.assign(user);
        claim_.nas_ip = nas.nas.ip;
        claim_.src_ipv4 = src_ipv4_;
        claim_.log_accept = env_.log_accepts && env_.logs != nullptr;
        claim_.accept_detail = std::move(detail);
        Outcome rejected_answer = reject(kAuthFailure, nullptr);
        if (!rejected_answer.reply)
            return rejected_answer;  // counted as an encode failure
        claim_.reject.assign(rejected_answer.bytes.begin(), rejected_answer.bytes.end());
        Outcome held;
        held.claim = true;
        return held;
    }
    env_.counters.accept();
    if (env_.log_accepts && env_.logs != nullptr)
        logEvent(env_, now, "accept", user, src_ipv4_, {}, detail);
    return Outcome{true, *done};
}

ByteSpan AccessPipeline::finishClaim(PendingClaim& claim, const store::IpClaimResult& result,
                                     Now now) {
    ByteSpan answer;
    if (result.ip != 0) {
        uint8_t* value = claim.accept.data() + claim.ip_offset;
        value[0] = static_cast<uint8_t>(result.ip >> 24);
        value[1] = static_cast<uint8_t>(result.ip >> 16);
        value[2] = static_cast<uint8_t>(result.ip >> 8);
        value[3] = static_cast<uint8_t>(result.ip);
        // The Message-Authenticator is the first attribute of every answer we build.
        radius::resignResponse(claim.accept, radius::kHeaderLength + 2, claim.request_auth.data(),
                               *claim.secret);
        answer = ByteSpan(claim.accept.data(), claim.accept.size());
        env_.counters.accept();
        if (!result.note.empty())
            logStaticFallback(now.steady_ms, claim.nas_ip, claim.username, result.note);
        if (claim.log_accept)
            logEvent(env_, now, "accept", claim.username, claim.src_ipv4, {}, claim.accept_detail);
    } else {
        answer = ByteSpan(claim.reject.data(), claim.reject.size());
        env_.counters.reject(RejectKind::kNoAddress);
        const std::string reason = "no address: " + result.error;
        logReject(now.steady_ms, claim.nas_ip, claim.username, reason);
        logEvent(env_, now, "reject", claim.username, claim.src_ipv4, reason);
    }
    duplicates_.complete(claim.lookup, answer, now.steady_ms);
    return answer;
}

}  // namespace gatehouse::process
