#include "core/api/routes/time_bounds.hpp"

#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <initializer_list>

#include "core/api/http.hpp"

namespace gatehouse::api {

namespace {

bool validDate(int y, int m, int d) {
    using namespace std::chrono;
    return year_month_day{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}}
        .ok();
}

}  // namespace

std::string timeBoundSql(pqxx::transaction_base& txn, const std::string& name,
                         const std::string& text, const std::string& timezone, bool upper) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    char tail = 0;
    auto digitsAt = [&](std::initializer_list<size_t> positions) {
        for (size_t p : positions)
            if (p >= text.size() || text[p] < '0' || text[p] > '9')
                return false;
        return true;
    };
    const bool date_only = text.size() == 10 && digitsAt({0, 1, 2, 3, 5, 6, 8, 9}) &&
                           text[4] == '-' && text[7] == '-' &&
                           std::sscanf(text.c_str(), "%4d-%2d-%2d", &y, &mo, &d) == 3;
    const bool instant =
        text.size() == 20 && digitsAt({0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18}) &&
        std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &tail) ==
            7 &&
        tail == 'Z' && h < 24 && mi < 60 && se < 60;
    if ((!date_only && !instant) || !validDate(y, mo, d))
        throw ApiError::invalid(name,
                                fmt::format("{} must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ", name));
    if (instant)
        return txn.quote(text) + "::timestamptz";
    return fmt::format("((DATE {}{})::timestamp AT TIME ZONE {})", txn.quote(text),
                       upper ? " + 1" : "", txn.quote(timezone));
}

}  // namespace gatehouse::api
