#pragma once
// Job periods that follow the interim interval (docs/jobs.md "Periods from the interim
// interval"): a router reports each session at least once per Acct-Interim-Interval, so a
// mismatch between router and database is closed or repaired within one interval when the
// reconciler runs that often, and a CoA is judged after two (one Interim-Update may already be
// on its way when the ACK arrives). The scheduler cannot change a period once registered, so
// the jobs role reads the setting once, at start.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <pqxx/connection>

namespace gatehouse::jobs {

inline constexpr std::chrono::seconds kDefaultInterimInterval{300};  // policy::Settings's
inline constexpr std::chrono::seconds kMinJobPeriod{60};
inline constexpr std::chrono::seconds kMaxJobPeriod{15 * 60};

struct JobPeriods {
    std::chrono::seconds interim{kDefaultInterimInterval};  // as bounded below
    std::chrono::seconds mikrotik_sync{kDefaultInterimInterval};
    std::chrono::seconds coa_verify_window{2 * kDefaultInterimInterval};
};

/// The settings value of `interim_interval` (seconds, digits only) or the default (300) when
/// absent or unreadable, as the snapshot loader reads it.
std::chrono::seconds interimFromSetting(const std::optional<std::string>& value);

/// The interval bounded to [60 s, 15 min] (a router told 10 s would make the reconciler hammer
/// every NAS's API; one told an hour would leave ghosts for an hour); mikrotik_sync every
/// interval, the CoA verify window two of them.
JobPeriods jobPeriodsFor(std::chrono::seconds interim);

/// settings.interim_interval, nullopt when the row is absent. Throws what libpqxx throws.
std::optional<std::string> readInterimSetting(pqxx::connection& conn);

}  // namespace gatehouse::jobs
