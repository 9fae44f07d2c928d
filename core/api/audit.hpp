#pragma once
// The audit log (table audit_log, migration 010): who changed what, when, from where, with the
// row before and after. Written in the SAME transaction as the change, so a change that rolls
// back leaves no audit row and a change that commits always has one.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <pqxx/transaction>

#include "core/api/permissions.hpp"

namespace gatehouse::api {

/// `value` with every secret replaced by "***", at any depth: members named password, secret,
/// api_password, or ending in _hash (password_hash), whatever their value. Arrays are walked too.
nlohmann::json maskSecrets(nlohmann::json value);

/// Appends one row. `before`/`after` are masked here (callers may pass whole rows); null means
/// "none" (a create has no before). caller.admin_id 0 records no admin (a failed login: the
/// username typed is in admin_username, never the password).
void recordAudit(pqxx::work& txn, const Caller& caller, std::string_view action,
                 std::string_view resource, std::string_view resource_id,
                 const nlohmann::json& before, const nlohmann::json& after);

}  // namespace gatehouse::api
