#pragma once
// What a policy decided, converted once from the table Lua returned and checked against the
// dictionary. Reply values are already in wire form.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/radius/dictionary.hpp"
#include "core/util/bytes.hpp"

namespace gatehouse::policy {

struct ReplyAttribute {
    const radius::AttrDef* def = nullptr;
    Bytes value;      // wire form for def->type (before any encrypt= hiding)
    uint8_t tag = 0;  // has_tag attributes: 1..31, 0 none
};

/// What C++ does when a static address is in use by another subscriber's session
/// (lib/ip.lua ip.on_static_conflict, docs/ipam.md "Static address conflicts").
struct StaticConflictPlan {
    int attempts = 3;  // the attempts-th conflicting login in a row falls back; earlier ones reject
    std::string subnet;  // "10.1.2.0/24": where the fallback address comes from; "": reject instead
};

/// How the subscriber gets an address. C++ carries it out after Lua returns (docs/ipam.md).
struct IpRule {
    enum Kind : uint8_t {
        kNone,         // say nothing: the NAS decides
        kStatic,       // Framed-IP-Address = address
        kNasPool,      // Framed-Pool = pool (the NAS allocates)
        kManagedPool,  // Gatehouse claims a free address of `pool` (sticky: last_ip first)
        kClaim,        // Gatehouse claims exactly `address` from `pool`
    };
    Kind kind = kNone;
    std::string pool;
    std::string address;
    /// kStatic only: checked against other subscribers' sessions before it is sent.
    std::optional<StaticConflictPlan> on_conflict;
};

struct Decision {
    bool accept = false;
    std::string reason;  // reject: why (logged, shown in the panel); accept: ""
    /// Ordered by vendor and number (Lua tables have no order); the values of one name keep the
    /// order of the policy's list.
    std::vector<ReplyAttribute> reply;
    IpRule ip;
    std::optional<uint32_t> session_timeout;
    std::optional<uint32_t> idle_timeout;
    int tier = 0;                          // FUP tier applied (0 normal)
    std::optional<uint16_t> mschap_error;  // MS-CHAP-Error code for an MS-CHAP reject (647, 648..)
    /// Set when the policy itself failed (Lua error, budget, bad reply): "file:line: message".
    /// The request is then rejected with reason "policy error".
    std::string policy_error;
};

struct AccountingDecision {
    bool record = true;  // false: the policy rejects it as nonsense (logged, not stored)
    std::string reason;
    std::vector<std::string> tags;  // stored with the record
    std::string policy_error;
};

}  // namespace gatehouse::policy
