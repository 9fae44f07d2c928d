#pragma once
// What a policy sees besides the request: the subscriber with its service, usage counters, the
// NAS and the ISP's settings. Plain values: the store fills them (server issue), the policy CLI
// fills them from JSON, tests build them by hand. Immutable once shared with a worker.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gatehouse::policy {

/// A fair-usage tier of a service (FUP1..FUP3). Tier 0 is the service's normal speed.
struct FupTier {
    std::string name;            // "FUP1"
    uint64_t daily_bytes = 0;    // this tier applies once today's usage reaches it (0: no daily)
    uint64_t monthly_bytes = 0;  // ... or this month's usage reaches it (0: no monthly)
    uint64_t download_bps = 0;
    uint64_t upload_bps = 0;
    std::string filter_id;  // generic/Cisco/Juniper/Huawei: the BNG's profile for this tier
};

struct Service {
    int64_t id = 0;
    std::string name;
    uint64_t download_bps = 0;
    uint64_t upload_bps = 0;
    // Optional MikroTik-style burst (0: none).
    uint64_t burst_download_bps = 0;
    uint64_t burst_upload_bps = 0;
    uint64_t burst_threshold_download_bps = 0;
    uint64_t burst_threshold_upload_bps = 0;
    uint32_t burst_time_s = 0;
    uint32_t priority = 0;             // 1..8, 0: unset
    std::string pool_name;             // NAS pool name sent as Framed-Pool ("" : none)
    std::string managed_pool;          // Gatehouse-managed pool to claim an address from
    uint32_t idle_timeout = 0;         // seconds, 0: none
    uint32_t session_timeout = 0;      // seconds, 0: none
    uint32_t simultaneous_use = 1;     // 0: unlimited
    std::string filter_id;             // generic BNGs: profile name at tier 0
    std::string address_list;          // MikroTik address list for this service ("" : none)
    std::string fup_counts = "total";  // which usage the tiers count: download|upload|total
    std::vector<FupTier> fup;          // ordered FUP1, FUP2, FUP3
};

struct Usage {
    uint64_t daily_upload = 0;
    uint64_t daily_download = 0;
    uint64_t monthly_upload = 0;
    uint64_t monthly_download = 0;
};

/// An operator-set reply attribute of one subscriber (radreply row).
struct ExtraAttribute {
    std::string name;   // dictionary name, optionally with ":tag"
    std::string value;  // text form (value.hpp parseValue)
};

/// What accounting changes many times a second (store::LiveState), kept apart from the
/// immutable Subscriber so an Interim-Update never rebuilds a snapshot. When a request carries
/// it (RequestContext::live), policies see these values as sub.open_sessions, sub.current_tier
/// and sub.usage.
struct LiveCounters {
    uint32_t open_sessions = 0;
    int current_tier = 0;
    Usage usage;
};

struct Subscriber {
    int64_t id = 0;
    std::string username;
    bool enabled = true;
    std::optional<int64_t> expires_at;  // unix seconds, UTC; nullopt: never
    std::string mac;                    // bound Calling-Station-Id, "AA:BB:CC:DD:EE:FF"; "": none
    std::string static_ip;              // "" : none
    std::string last_ip;                // the address it had last (sticky pools)
    std::shared_ptr<const Service> service;  // nullptr: no service assigned
    int64_t reseller_id = 0;
    uint32_t open_sessions = 0;  // sessions open now (simultaneous-use)
    int current_tier = 0;        // the FUP tier in force now
    Usage usage;
    std::vector<ExtraAttribute> extra;  // radreply rows
};

struct Nas {
    int64_t id = 0;
    std::string name;
    std::string ip;
    std::string type = "generic";     // mikrotik|generic|cisco|juniper|huawei|... (vendor module)
    std::vector<std::string> realms;  // allowed realms ("" list: any)
    uint16_t coa_port = 3799;
};

/// The ISP's settings (settings table), with the defaults of a new install.
struct Settings {
    uint32_t interim_interval = 300;        // Acct-Interim-Interval, seconds
    bool hard_cut = false;                  // Session-Timeout ends the session at expiry
    std::string expired_action = "reject";  // reject | walled_garden | grace
    uint32_t grace_days = 0;                // with expired_action = grace
    std::string walled_garden_pool;         // pool for expired users (walled_garden)
    std::string walled_garden_address_list = "expired";  // MikroTik address list for them
    std::string timezone = "UTC";
    std::map<std::string, std::string> extra;  // anything else, visible to policies as strings
};

}  // namespace gatehouse::policy
