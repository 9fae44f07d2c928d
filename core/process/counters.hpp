#pragma once
// What the pipelines count, per worker: plain relaxed atomics so that a later /metrics thread
// can read them while the worker writes (one writer each, no lock on the hot path). Per-reason
// policy rejects are the one exception: reasons are policy text, so they sit in a small map
// behind a mutex taken only on a policy reject (never on an accept).
#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "core/radius/packet.hpp"

namespace gatehouse::process {

/// Why C++ (not Lua) rejected an Access-Request.
enum class RejectKind : uint8_t {
    kUnknownUser,    // no such subscriber: rejected before Lua runs
    kBadPassword,    // PAP/CHAP/MS-CHAP check failed: rejected before Lua runs
    kNoCredentials,  // none of PAP, CHAP, MS-CHAPv1, MS-CHAPv2 present (or malformed)
    kPolicy,         // authorize() said reject (reason counted in policyRejects())
    kPolicyError,    // authorize() failed (Lua error, budget, bad reply)
    kNoAddress,      // accepted, but no address could be claimed from its pool
    kCount
};
std::string_view rejectKindName(RejectKind k);  // "unknown_user", ... (stable, for metrics)

/// Why a datagram got no answer.
enum class DropKind : uint8_t {
    kUnknownNas,                   // source address not in the NAS table (or NAS disabled)
    kDecode,                       // malformed (by DecodeError kind in decodeErrors())
    kWrongCode,                    // a code this port does not serve
    kBadMessageAuthenticator,      // present and wrong
    kMissingMessageAuthenticator,  // absent, and required (NAS flag, or Status-Server)
    kProxyStateWithoutMa,          // limit_proxy_state: Proxy-State but no MA (BlastRADIUS)
    kBadAuthenticator,             // Accounting-Request authenticator wrong (RFC 2866 3)
    kDuplicateInProgress,          // RFC 5080 2.2.2: the first copy is still being worked on
    kEncodeFailed,                 // the reply did not fit (policy gave too much)
    kAccountingNotStored,          // not durable (no writer, or database and spool failed)
    kAccountingBackpressure,       // the writer's queue is full: not acknowledged, NAS retries
    kCount
};
std::string_view dropKindName(DropKind k);

inline constexpr size_t kDecodeErrorKinds = radius::DecodeError::kTooManyAttributes + 1;

class Counters {
  public:
    void drop(DropKind k) { bump(drops_[static_cast<size_t>(k)]); }
    void decodeError(radius::DecodeError::Kind k) {
        bump(drops_[static_cast<size_t>(DropKind::kDecode)]);
        bump(decode_errors_[k]);
    }
    void reject(RejectKind k) { bump(rejects_[static_cast<size_t>(k)]); }
    void policyReject(std::string_view reason);

    void accept() { bump(accepts_); }
    void accountingAnswered() { bump(accounting_); }
    void accountingDiscarded() { bump(accounting_discarded_); }
    void statusAnswered() { bump(status_); }
    void duplicateResent() { bump(duplicates_resent_); }
    /// kManagedPool / kClaim: IPAM is a later issue; the accept goes out without an address.
    void ipRuleNotImplemented() { bump(ip_not_implemented_); }

    uint64_t drops(DropKind k) const { return load(drops_[static_cast<size_t>(k)]); }
    uint64_t decodeErrors(radius::DecodeError::Kind k) const { return load(decode_errors_[k]); }
    uint64_t rejects(RejectKind k) const { return load(rejects_[static_cast<size_t>(k)]); }
    uint64_t policyRejects(std::string_view reason) const;
    std::map<std::string, uint64_t> policyRejectsByReason() const;
    uint64_t accepts() const { return load(accepts_); }
    uint64_t accountingAnswers() const { return load(accounting_); }
    uint64_t accountingDiscards() const { return load(accounting_discarded_); }
    uint64_t statusAnswers() const { return load(status_); }
    uint64_t duplicatesResent() const { return load(duplicates_resent_); }
    uint64_t ipRulesNotImplemented() const { return load(ip_not_implemented_); }
    uint64_t totalRejects() const;
    uint64_t totalDrops() const;

    /// Adds `other` into this one (the server sums its workers for a report).
    void addTo(Counters& total) const;

  private:
    using Counter = std::atomic<uint64_t>;
    // One writer per Counters: load + store is enough, and cheaper than a locked add.
    static void bump(Counter& c) {
        c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    static uint64_t load(const Counter& c) { return c.load(std::memory_order_relaxed); }

    std::array<Counter, static_cast<size_t>(DropKind::kCount)> drops_{};
    std::array<Counter, kDecodeErrorKinds> decode_errors_{};
    std::array<Counter, static_cast<size_t>(RejectKind::kCount)> rejects_{};
    Counter accepts_{0};
    Counter accounting_{0};
    Counter accounting_discarded_{0};
    Counter status_{0};
    Counter duplicates_resent_{0};
    Counter ip_not_implemented_{0};

    mutable std::mutex reasons_mu_;
    std::map<std::string, uint64_t, std::less<>> policy_reasons_;
};

}  // namespace gatehouse::process
