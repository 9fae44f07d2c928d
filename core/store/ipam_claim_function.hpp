#pragma once
// The IpClaimer's claim in production: claimIp() (docs/ipam.md) on a connection of its own,
// opened on first use and replaced when PostgreSQL closed it; claimIpExact() when the policy
// named the address (`ip = { pool = ..., address = ... }`); claimStaticIp() for a static
// address with the policy's conflict plan (`ip = { static = ..., on_conflict = ... }`).
#include <string>

#include "core/store/ip_claimer.hpp"

namespace gatehouse::store {

ClaimFunction makeIpamClaimFunction(std::string conninfo);

}  // namespace gatehouse::store
