#include "core/store/static_ip.hpp"

#include <fmt/core.h>

#include <pqxx/pqxx>

#include "core/store/claim_retry.hpp"

namespace gatehouse::store {

Expected<StaticClaim, ClaimError> claimStaticIp(pqxx::connection& conn, int64_t subscriber_id,
                                                std::optional<int64_t> nas_id,
                                                std::string_view address, const StaticPlan& plan) {
    const std::string addr(address);
    auto fail = [&](ClaimErrorKind kind, std::string message) {
        return unexpected(ClaimError{kind,
                                     {},
                                     (kind == ClaimErrorKind::kDatabase ? "static ip " + addr + ": "
                                                                        : "static ip conflict: ") +
                                         std::move(message)});
    };
    // The per-subscriber lock serialises a login with its own retransmission on another node;
    // two different subscribers never wait for each other here.
    return withClaimRetries(
        [&]() -> Expected<StaticClaim, ClaimError> {
            // One statement in autocommit: the function is the transaction (its locks last
            // until it returns), and BEGIN and COMMIT would be two more round trips.
            pqxx::nontransaction txn(conn);
            auto row = txn.exec_params1(
                "SELECT host(claimed), outcome, holder, attempt FROM gh_ip_claim_static("
                "$1, NULLIF($2::bigint, 0), $3::inet, $4, NULLIF($5, '')::cidr,"
                " make_interval(mins => $6))",
                subscriber_id, nas_id.value_or(0), addr, plan.attempts, plan.subnet,
                static_cast<int>(plan.window.count()));
            const std::string outcome = row[1].as<std::string>();
            StaticClaim claim;
            if (outcome == "static") {
                claim.ip = addr;
                return claim;
            }
            claim.holder = row[2].as<std::string>("?");
            claim.attempt = row[3].as<int>(0);
            const std::string taken = fmt::format("{} is in use by {}", addr, claim.holder);
            if (outcome == "fallback") {
                claim.ip = row[0].as<std::string>();
                claim.fallback = true;
                return claim;
            }
            if (outcome == "rejected")
                return fail(ClaimErrorKind::kNotFree, fmt::format("{} (login {} of {})", taken,
                                                                  claim.attempt, plan.attempts));
            if (outcome == "exhausted")
                return fail(ClaimErrorKind::kExhausted,
                            plan.subnet.empty()
                                ? taken + " and the policy gives no fallback"
                                : fmt::format("{}, no free address in {}", taken, plan.subnet));
            return fail(ClaimErrorKind::kDatabase, "unexpected outcome '" + outcome + "'");
        },
        [&](std::string message) {
            return ClaimError{
                ClaimErrorKind::kDatabase, {}, "static ip " + addr + ": " + std::move(message)};
        });
}

}  // namespace gatehouse::store
