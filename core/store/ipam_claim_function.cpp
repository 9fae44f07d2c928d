#include "core/store/ipam_claim_function.hpp"

#include <arpa/inet.h>
#include <fmt/core.h>

#include <memory>
#include <pqxx/pqxx>

#include "core/store/ipam_repository.hpp"
#include "core/store/pg_pool.hpp"
#include "core/store/static_ip.hpp"

namespace gatehouse::store {

namespace {

uint32_t parseIpv4(const std::string& text) {
    in_addr addr{};
    return inet_pton(AF_INET, text.c_str(), &addr) == 1 ? ntohl(addr.s_addr) : 0;
}

}  // namespace

ClaimFunction makeIpamClaimFunction(std::string conninfo) {
    auto conn = std::make_shared<std::unique_ptr<pqxx::connection>>();
    return [conninfo = std::move(conninfo), conn](const IpClaimRequest& r) -> IpClaimResult {
        if (*conn && idleConnectionBroken(**conn))
            conn->reset();
        if (!*conn)
            *conn = std::make_unique<pqxx::connection>(conninfo);  // throws: "database ..."
        const std::optional<int64_t> nas =
            r.nas_id != 0 ? std::optional<int64_t>(r.nas_id) : std::nullopt;
        if (r.static_attempts > 0) {
            StaticPlan plan;
            plan.attempts = r.static_attempts;
            plan.subnet = r.static_subnet;
            auto claim = claimStaticIp(**conn, r.subscriber_id, nas, r.address, plan);
            if (!claim) {
                if (claim.error().kind == ClaimErrorKind::kDatabase)
                    conn->reset();
                return IpClaimResult{0, claim.error().message, {}};
            }
            const uint32_t ip = parseIpv4(claim->ip);
            IpClaimResult result{ip, ip == 0 ? "bad address " + claim->ip : std::string{}, {}};
            if (claim->fallback)
                result.note = fmt::format("static={} holder=\"{}\" login={} assigned={}", r.address,
                                          claim->holder, claim->attempt, claim->ip);
            return result;
        }
        auto claim = r.address.empty()
                         ? claimIp(**conn, r.pool, r.subscriber_id, nas)
                         : claimIpExact(**conn, r.pool, r.subscriber_id, nas, r.address);
        if (!claim) {
            if (claim.error().kind == ClaimErrorKind::kDatabase)
                conn->reset();  // a fresh connection for the next claim
            return IpClaimResult{0, claim.error().message, {}};
        }
        const uint32_t ip = parseIpv4(claim->ip);
        return IpClaimResult{ip, ip == 0 ? "bad address " + claim->ip : std::string{}, {}};
    };
}

}  // namespace gatehouse::store
