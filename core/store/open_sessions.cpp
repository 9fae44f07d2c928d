#include "core/store/open_sessions.hpp"

#include <pqxx/pqxx>

namespace gatehouse::store {

std::vector<OpenSession> findOpenSessions(pqxx::connection& conn, const OpenSessionFilter& f) {
    pqxx::read_transaction txn(conn);
    return findOpenSessions(txn, f);
}

std::vector<OpenSession> findOpenSessions(pqxx::transaction_base& txn, const OpenSessionFilter& f) {
    auto r = txn.exec_params(
        "SELECT r.username, r.acctsessionid, COALESCE(host(r.framedipaddress), ''),"
        " host(r.nasipaddress), r.subscriber_id, n.id, COALESCE(n.name, '')"
        " FROM radacct r LEFT JOIN nas_devices n ON (r.nas_id IS NOT NULL AND n.id = r.nas_id)"
        "  OR (r.nas_id IS NULL AND n.ip = r.nasipaddress)"
        " WHERE r.acctstoptime IS NULL"
        "   AND ($1 = '' OR r.username = $1) AND ($2 = '' OR r.acctsessionid = $2)"
        "   AND ($3 = '' OR n.name = $3) AND ($4::bigint IS NULL OR r.subscriber_id = $4)"
        " ORDER BY r.acctstarttime, r.radacctid",
        f.username, f.acct_session_id, f.nas_name, f.subscriber_id);
    std::vector<OpenSession> out;
    for (const auto& row : r) {
        OpenSession s;
        s.username = row[0].as<std::string>();
        s.acct_session_id = row[1].as<std::string>();
        s.framed_ip = row[2].as<std::string>();
        s.nas_ip = row[3].as<std::string>();
        if (!row[4].is_null())
            s.subscriber_id = row[4].as<int64_t>();
        if (!row[5].is_null())
            s.nas_id = row[5].as<int64_t>();
        s.nas_name = row[6].as<std::string>();
        out.push_back(std::move(s));
    }
    return out;
}

CoaAttributeList identifySession(const OpenSession& s) {
    CoaAttributeList a;
    a.emplace_back("User-Name", s.username);
    a.emplace_back("Acct-Session-Id", s.acct_session_id);
    if (!s.framed_ip.empty())
        a.emplace_back("Framed-IP-Address", s.framed_ip);
    a.emplace_back("NAS-IP-Address", s.nas_ip);
    return a;
}

}  // namespace gatehouse::store
