#pragma once
// What the store reports to its callers (CLI, API): the kind, the field it is about and a
// sentence for the operator. libpqxx exceptions are turned into this at the store boundary.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

namespace gatehouse::store {

enum class StoreErrorKind : uint8_t {
    kInvalid,           // the value is malformed (an invalid IP, a rate without digits)
    kDuplicate,         // a unique constraint: the username, the NAS IP, an active static IP
    kNotFound,          // the row to change or delete does not exist
    kUnknownReference,  // it names something that does not exist (an unknown service)
    kInUse,             // it is still referenced (a service with subscribers)
    kDatabase,          // anything else PostgreSQL said
};

struct StoreError {
    StoreErrorKind kind = StoreErrorKind::kDatabase;
    std::string field;    // "username", "ip", "static_ip", "service", ...
    std::string message;  // for the operator; never holds a password or a secret
    size_t line = 0;      // CSV import: the 1-based line of the input, 0 otherwise
    // kDatabase only: PostgreSQL could not be reached or the connection broke (a caller may
    // answer "try again" rather than "failed": the API sends 503 with Retry-After).
    bool unreachable = false;
};

/// "line 17: static_ip: invalid IPv4 address '10.0.0.300'".
std::string describe(const StoreError& e);
const char* toString(StoreErrorKind k);

/// Maps a libpqxx exception to a StoreError: constraint names become fields
/// (subscribers_username_key -> kDuplicate "username").
StoreError fromException(const std::exception& e);

}  // namespace gatehouse::store
