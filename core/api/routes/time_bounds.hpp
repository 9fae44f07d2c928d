#pragma once
// ?from= / ?to= on list routes (sessions, audit log, RADIUS logs): one syntax everywhere.
#include <string>
#include <string_view>

#include <pqxx/transaction_base>

#include "core/api/http.hpp"

namespace gatehouse::api {

/// `text` as a SQL timestamptz expression: "YYYY-MM-DD" is that day's midnight in `timezone`
/// (the ISP's; for an upper bound the next day's, so the whole day is included), and an RFC 3339
/// time ("2026-11-21T10:00:00Z", "2026-11-21T12:00:00.5+02:00") is that instant. 400 naming
/// `name` otherwise. The text is only
/// spliced into SQL after every character was checked, and then quoted.
std::string timeBoundSql(pqxx::transaction_base& txn, const std::string& name,
                         const std::string& text, const std::string& timezone, bool upper);

/// " AND <column> >= <from> AND <column> < <to>" for the request's ?from= / ?to= (either may be
/// absent: "" when both are), with the ISP's time zone read only when a date needs it.
std::string timeRangeSql(pqxx::transaction_base& txn, const HttpRequest& req,
                         std::string_view column);

}  // namespace gatehouse::api
