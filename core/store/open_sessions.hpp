#pragma once
// The open sessions a CoA or Disconnect-Request is for, and how the NAS is told which one
// (coa.md "Identifying the session"). Shared by `gatehouse session` and the FUP job.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>
#include <pqxx/transaction_base>

#include "core/store/coa_outbox_repository.hpp"

namespace gatehouse::store {

struct OpenSession {
    std::string username;
    std::string acct_session_id;
    std::string framed_ip;  // "" when unknown
    std::string nas_ip;     // NAS-IP-Address as the NAS reported it in accounting
    std::optional<int64_t> subscriber_id;
    std::optional<int64_t> nas_id;  // empty: the session's NAS is not (any more) registered
    std::string nas_name;
};

/// Which open sessions: every filter given ("" / nullopt: any) must match.
struct OpenSessionFilter {
    std::string username;
    std::string acct_session_id;
    std::string nas_name;
    std::optional<int64_t> subscriber_id;
};

/// Oldest first. The NAS is the one the packets came from (radacct.nas_id), else the one
/// registered at the reported NAS-IP-Address.
std::vector<OpenSession> findOpenSessions(pqxx::connection& conn, const OpenSessionFilter& f);
/// The same inside the caller's transaction (a job that enqueues in the same transaction).
std::vector<OpenSession> findOpenSessions(pqxx::transaction_base& txn, const OpenSessionFilter& f);

/// User-Name + Acct-Session-Id + Framed-IP-Address when known + NAS-IP-Address as the NAS
/// reported it. Every present one must match (RFC 5176 3).
CoaAttributeList identifySession(const OpenSession& s);

}  // namespace gatehouse::store
