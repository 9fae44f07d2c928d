#include "core/process/counters.hpp"

namespace gatehouse::process {

std::string_view rejectKindName(RejectKind k) {
    switch (k) {
        case RejectKind::kUnknownUser:
            return "unknown_user";
        case RejectKind::kBadPassword:
            return "bad_password";
        case RejectKind::kNoCredentials:
            return "no_credentials";
        case RejectKind::kPolicy:
            return "policy";
        case RejectKind::kPolicyError:
            return "policy_error";
        case RejectKind::kNoAddress:
            return "no_address";
        case RejectKind::kCount:
            break;
    }
    return "unknown";
}

std::string_view dropKindName(DropKind k) {
    switch (k) {
        case DropKind::kUnknownNas:
            return "unknown_nas";
        case DropKind::kDecode:
            return "decode";
        case DropKind::kWrongCode:
            return "wrong_code";
        case DropKind::kBadMessageAuthenticator:
            return "bad_message_authenticator";
        case DropKind::kMissingMessageAuthenticator:
            return "missing_message_authenticator";
        case DropKind::kProxyStateWithoutMa:
            return "proxy_state_without_message_authenticator";
        case DropKind::kBadAuthenticator:
            return "bad_authenticator";
        case DropKind::kDuplicateInProgress:
            return "duplicate_in_progress";
        case DropKind::kEncodeFailed:
            return "encode_failed";
        case DropKind::kAccountingNotStored:
            return "accounting_not_stored";
        case DropKind::kAccountingBackpressure:
            return "accounting_backpressure";
        case DropKind::kCount:
            break;
    }
    return "unknown";
}

void Counters::policyReject(std::string_view reason) {
    reject(RejectKind::kPolicy);
    std::lock_guard lock(reasons_mu_);
    auto it = policy_reasons_.find(reason);
    if (it == policy_reasons_.end()) {
        // Reasons are a policy's short stable strings; cap the map so a policy that puts the
        // user name in its reason cannot grow it without bound.
        if (policy_reasons_.size() >= 256)
            it = policy_reasons_.try_emplace("(other)", 0).first;
        else
            it = policy_reasons_.emplace(std::string(reason), 0).first;
    }
    ++it->second;
}

uint64_t Counters::policyRejects(std::string_view reason) const {
    std::lock_guard lock(reasons_mu_);
    auto it = policy_reasons_.find(reason);
    return it == policy_reasons_.end() ? 0 : it->second;
}

std::map<std::string, uint64_t> Counters::policyRejectsByReason() const {
    std::lock_guard lock(reasons_mu_);
    return {policy_reasons_.begin(), policy_reasons_.end()};
}

uint64_t Counters::totalRejects() const {
    uint64_t n = 0;
    for (const Counter& c : rejects_)
        n += load(c);
    return n;
}

uint64_t Counters::totalDrops() const {
    uint64_t n = 0;
    for (const Counter& c : drops_)
        n += load(c);
    return n;
}

void Counters::addTo(Counters& total) const {
    auto add = [](Counter& to, const Counter& from) {
        to.fetch_add(from.load(std::memory_order_relaxed), std::memory_order_relaxed);
    };
    for (size_t i = 0; i < drops_.size(); ++i)
        add(total.drops_[i], drops_[i]);
    for (size_t i = 0; i < decode_errors_.size(); ++i)
        add(total.decode_errors_[i], decode_errors_[i]);
    for (size_t i = 0; i < rejects_.size(); ++i)
        add(total.rejects_[i], rejects_[i]);
    add(total.accepts_, accepts_);
    add(total.accounting_, accounting_);
    add(total.accounting_discarded_, accounting_discarded_);
    add(total.status_, status_);
    add(total.duplicates_resent_, duplicates_resent_);
    add(total.ip_not_implemented_, ip_not_implemented_);
    std::scoped_lock lock(reasons_mu_, total.reasons_mu_);
    for (const auto& [reason, n] : policy_reasons_)
        total.policy_reasons_[reason] += n;
}

}  // namespace gatehouse::process
