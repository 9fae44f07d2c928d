#include "core/jobs/job_periods.hpp"

#include <algorithm>
#include <cstdint>
#include <pqxx/pqxx>

namespace gatehouse::jobs {

std::chrono::seconds interimFromSetting(const std::optional<std::string>& value) {
    if (!value || value->empty() || value->size() > 9)
        return kDefaultInterimInterval;
    int64_t seconds = 0;
    for (char c : *value) {
        if (c < '0' || c > '9')
            return kDefaultInterimInterval;
        seconds = seconds * 10 + (c - '0');
    }
    return std::chrono::seconds(seconds);
}

JobPeriods jobPeriodsFor(std::chrono::seconds interim) {
    JobPeriods p;
    p.interim = std::clamp(interim, kMinJobPeriod, kMaxJobPeriod);
    p.mikrotik_sync = p.interim;
    p.coa_verify_window = 2 * p.interim;
    return p;
}

std::optional<std::string> readInterimSetting(pqxx::connection& conn) {
    pqxx::read_transaction txn(conn);
    auto r = txn.exec("SELECT value FROM settings WHERE key = 'interim_interval'");
    if (r.empty() || r[0][0].is_null())
        return std::nullopt;
    return r[0][0].as<std::string>();
}

}  // namespace gatehouse::jobs
