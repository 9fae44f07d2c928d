#pragma once
// A subscriber's static address checked at login against other subscribers' sessions, with the
// policy's conflict plan carried out when it is taken (lib/ip.lua ip.on_static_conflict; the
// function gh_ip_claim_static of migration 009; docs/ipam.md "Static address conflicts").
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <pqxx/connection>

#include "core/store/ipam_repository.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::store {

struct StaticPlan {
    int attempts = 3;    // the attempts-th conflicting login in a row falls back
    std::string subnet;  // "10.1.2.0/24"; "": no fallback, keep rejecting
    /// A streak whose last login is older than this starts again at attempt 1.
    std::chrono::minutes window{std::chrono::minutes(30)};
};

struct StaticClaim {
    std::string ip;         // the address to send: the static one, or the fallback
    bool fallback = false;  // true: `ip` is a pool address given instead of the static one
    std::string holder;     // fallback: who holds the static address ("bob session 81000001")
    int attempt = 0;        // fallback: the login of the conflict streak that fell back
};

/// One transaction. Errors: kNotFree while the streak is before its fallback ("10.1.2.5 is in
/// use by bob session 81000001 (login 1 of 3)"), kExhausted when the fallback found no free
/// address (or the plan has no subnet), kDatabase. `address` must be an IPv4 dotted quad.
Expected<StaticClaim, ClaimError> claimStaticIp(pqxx::connection& conn, int64_t subscriber_id,
                                                std::optional<int64_t> nas_id,
                                                std::string_view address, const StaticPlan& plan);

}  // namespace gatehouse::store
