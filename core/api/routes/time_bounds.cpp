#include "core/api/routes/time_bounds.hpp"

#include <fmt/core.h>

#include <chrono>
#include <regex>

#include "core/api/routes/subscriber_support.hpp"

namespace gatehouse::api {

namespace {

bool validDate(const std::smatch& m) {
    using namespace std::chrono;
    const year_month_day date{year{std::stoi(m[1].str())},
                              month{static_cast<unsigned>(std::stoi(m[2].str()))},
                              day{static_cast<unsigned>(std::stoi(m[3].str()))}};
    return date.ok();
}

// RFC 3339 5.6: hour 00-23, minute 00-59, second 00-60 (a leap second, which PostgreSQL takes
// as the next minute), offsets up to 23:59.
bool validClock(const std::smatch& m) {
    auto num = [&](int i) { return std::stoi(m[i].str()); };
    if (num(4) > 23 || num(5) > 59 || num(6) > 60)
        return false;
    return !m[8].matched || (num(9) <= 23 && num(10) <= 59);
}

}  // namespace

std::string timeBoundSql(pqxx::transaction_base& txn, const std::string& name,
                         const std::string& text, const std::string& timezone, bool upper) {
    // RFC 3339 5.6 date-time: "T" and "Z" in either case (5.6 NOTE), fractions of any length.
    static const std::regex kDateTime(
        R"(^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))$)");
    static const std::regex kDate(R"(^(\d{4})-(\d{2})-(\d{2})$)");
    std::smatch m;
    if (std::regex_match(text, m, kDateTime) && validDate(m) && validClock(m))
        return txn.quote(text) + "::timestamptz";
    if (std::regex_match(text, m, kDate) && validDate(m))
        return fmt::format("((DATE {}{})::timestamp AT TIME ZONE {})", txn.quote(text),
                           upper ? " + 1" : "", txn.quote(timezone));
    throw ApiError::invalid(
        name, fmt::format("{} must be YYYY-MM-DD or an RFC 3339 time (2026-11-21T10:00:00Z, "
                          "2026-11-21T12:00:00+02:00)",
                          name));
}

std::string timeRangeSql(pqxx::transaction_base& txn, const HttpRequest& req,
                         std::string_view column) {
    const std::string from = req.queryOr("from");
    const std::string to = req.queryOr("to");
    if (from.empty() && to.empty())
        return {};
    const std::string tz = routes::ispTimezone(txn);
    std::string sql;
    if (!from.empty())
        sql += fmt::format(" AND {} >= {}", column, timeBoundSql(txn, "from", from, tz, false));
    if (!to.empty())
        sql += fmt::format(" AND {} < {}", column, timeBoundSql(txn, "to", to, tz, true));
    return sql;
}

}  // namespace gatehouse::api
