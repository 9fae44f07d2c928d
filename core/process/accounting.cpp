#include "core/process/accounting.hpp"

#include <algorithm>
#include <cstring>

#include "core/policy/worker_policy.hpp"
#include "core/process/accounting_extract.hpp"
#include "core/radius/authenticator.hpp"
#include "core/store/live_state.hpp"

namespace gatehouse::process {

namespace {
std::string_view eventName(store::AcctStatus status) {
    switch (status) {
        case store::AcctStatus::kStart:
            return "acct-start";
        case store::AcctStatus::kStop:
            return "acct-stop";
        case store::AcctStatus::kInterimUpdate:
            return "acct-interim";
        case store::AcctStatus::kAccountingOn:
            return "acct-on";
        case store::AcctStatus::kAccountingOff:
            return "acct-off";
    }
    return "acct";
}
}  // namespace

Outcome AccountingPipeline::handle(const Datagram& in, const store::Snapshot& snapshot, Now now,
                                   ReplyBuffer out) {
    const store::NasEntry* nas = admit(in, snapshot, now, env_, packet_);
    if (!nas)
        return Outcome::drop();
    switch (packet_.code()) {
        case radius::Code::kAccountingRequest:
            return accountingRequest(in, *nas, snapshot, now, out);
        case radius::Code::kStatusServer:
            return answerStatusServer(packet_, *nas, Port::kAcct, env_.counters, out);
        default:
            env_.counters.drop(DropKind::kWrongCode);
            return Outcome::drop();
    }
}

Outcome AccountingPipeline::accountingRequest(const Datagram& in, const store::NasEntry& nas,
                                              const store::Snapshot& snapshot, Now now,
                                              ReplyBuffer out) {
    // RFC 2866 3: a wrong Request Authenticator means a wrong secret or a forgery: discard.
    if (!radius::verifyRequestAuthenticator(packet_, *nas.secret)) {
        env_.counters.drop(DropKind::kBadAuthenticator);
        return Outcome::drop();
    }
    if (radius::checkRequestMessageAuthenticator(packet_, *nas.secret) ==
        radius::MaCheck::kInvalid) {
        env_.counters.drop(DropKind::kBadMessageAuthenticator);
        return Outcome::drop();
    }

    DuplicateCache::Lookup seen;
    if (auto repeated = checkDuplicate(duplicates_, in, packet_, now, env_.counters, out, seen))
        return *repeated;

    const radius::AttrRef* user_attr = packet_.find(0, radius::attr::kUserName);
    const store::SubscriberEntry* sub =
        user_attr ? snapshot.subscriber(packet_.text(*user_attr)) : nullptr;

    env_.policy.refresh();
    policy::RequestContext ctx;
    ctx.request = &packet_;
    ctx.dict = &env_.dict;
    ctx.subscriber = sub ? sub->subscriber.get() : nullptr;
    std::optional<policy::LiveCounters> live;
    if (env_.live != nullptr && sub != nullptr)
        live = env_.live->get(sub->subscriber->id);
    ctx.live = live ? &*live : nullptr;
    ctx.nas = &nas.nas;
    ctx.settings = &snapshot.settings();
    ctx.now = now.unix_s;
    const policy::AccountingDecision decision = env_.policy.accounting(ctx);
    // A record the policy discards as nonsense is still acknowledged (otherwise the NAS
    // retransmits it for ever) but not stored. A failing policy must not lose data: the record
    // is kept, tagged.
    std::optional<store::AccountingRecord> record;
    if (!decision.record) {
        env_.counters.accountingDiscarded();
    } else if (auto r = extractAccountingRecord(packet_, env_.dict, nas, in.src_ipv4, sub, now)) {
        record = std::move(*r);
        record->tags = decision.tags;
        if (!decision.policy_error.empty())
            record->tags.emplace_back("policy-error");
    } else {
        env_.counters.accountingDiscarded();  // a status we do not store (Failed, tunnels)
    }

    const std::string_view user = user_attr ? packet_.text(*user_attr) : std::string_view{};
    if (!record) {
        logEvent(env_, now, "acct-discard", user, in.src_ipv4,
                 decision.record ? std::string_view("status not stored")
                                 : std::string_view(decision.reason));
    } else {
        logEvent(env_, now, eventName(record->status), user, in.src_ipv4, {});
    }

    if (record && !env_.durable_accounting && !env_.ack_unstored_accounting) {
        // Never acknowledge what is not stored: the NAS keeps the record and retransmits it.
        env_.counters.drop(DropKind::kAccountingNotStored);
        duplicates_.abandon(seen);
        return Outcome::drop();
    }

    radius::PacketWriter w(out);
    w.begin(radius::Code::kAccountingResponse, packet_.id());
    echoProxyState(packet_, w);  // RFC 2866 4.2: the only attribute an answer carries
    auto done = w.finishResponse(*nas.secret, packet_.authenticator());
    if (!done) {
        env_.counters.drop(DropKind::kEncodeFailed);
        duplicates_.abandon(seen);
        return Outcome::drop();
    }
    if (record && env_.durable_accounting) {
        deferred_ = Deferred{std::move(*record), seen};
        return Outcome{true, *done, true};
    }
    duplicates_.complete(seen, *done, now.steady_ms);
    env_.counters.accountingAnswered();
    return Outcome{true, *done};
}

void AccountingPipeline::acknowledged(const DuplicateCache::Lookup& claim, ByteSpan response,
                                      int64_t now_ms) {
    duplicates_.complete(claim, response, now_ms);
    env_.counters.accountingAnswered();
}

void AccountingPipeline::abandoned(const DuplicateCache::Lookup& claim) {
    duplicates_.abandon(claim);
}

}  // namespace gatehouse::process
