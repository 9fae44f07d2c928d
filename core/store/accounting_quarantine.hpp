#pragma once
// Where an accounting record goes that PostgreSQL refuses for what it IS (a data or integrity
// error, not an outage): retrying it would fail for ever and, spooled, block the replay of
// everything behind it. It was acknowledged (or is about to be), so it must not be lost
// either: it is appended, fsync'd, to spool_dir/quarantine.jsonl, one JSON object per line
// with the error, for an operator to read, fix and re-send. Counted in /metrics.
#include <string>
#include <string_view>

#include "core/store/accounting_record.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::store {

class AccountingQuarantine {
  public:
    explicit AccountingQuarantine(std::string dir) : path_(std::move(dir) + "/quarantine.jsonl") {}
    /// Appends one line and fsyncs it; the file is created 0600.
    Expected<void, std::string> add(const AccountingRecord& record, std::string_view error);
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

/// The record as a JSON object (every field; octets as numbers, addresses dotted).
std::string recordJson(const AccountingRecord& record);

/// True when an SQLSTATE says the statement itself is wrong for this data (classes 22 data
/// exception, 23 integrity, 42 syntax or access, P0 raised by PL/pgSQL): the same batch would
/// fail again. Everything else (connection, timeout, deadlock, resources) is transient.
bool isPermanentSqlState(std::string_view sqlstate);

}  // namespace gatehouse::store
