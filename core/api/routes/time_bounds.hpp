#pragma once
// ?from= / ?to= on list routes (sessions, audit log, RADIUS logs): one syntax everywhere.
#include <string>

#include <pqxx/transaction_base>

namespace gatehouse::api {

/// `text` as a SQL timestamptz expression: "YYYY-MM-DD" is that day's midnight in `timezone`
/// (the ISP's; for an upper bound the next day's, so the whole day is included), and
/// "YYYY-MM-DDTHH:MM:SSZ" is that instant. 400 naming `name` otherwise. The text is only
/// spliced into SQL after every character was checked, and then quoted.
std::string timeBoundSql(pqxx::transaction_base& txn, const std::string& name,
                         const std::string& text, const std::string& timezone, bool upper);

}  // namespace gatehouse::api
