#include "core/jobs/coa_fallback.hpp"

#include <fmt/core.h>

#include <cctype>
#include <cstdio>
#include <pqxx/pqxx>

namespace gatehouse::jobs {

Expected<std::unique_ptr<net::RouterOsClient>, std::string> connectNasApi(
    const NasTarget& nas, const ApiCheckOptions& options) {
    auto client = std::make_unique<net::RouterOsClient>();
    if (auto c = connectApi(nas, options, *client); !c)
        return unexpected(c.error());
    return client;
}

bool sameSessionId(std::string_view router, std::string_view accounting) {
    const std::string key = mikrotikSessionKey(router);
    return !key.empty() && key == mikrotikSessionKey(accounting);
}

std::vector<net::RouterOsClient::ActiveSession> matchActive(
    const std::vector<net::RouterOsClient::ActiveSession>& listed,
    const std::string& acct_session_id, const std::string& framed_ip) {
    std::vector<net::RouterOsClient::ActiveSession> out;
    for (const auto& s : listed) {
        bool match = false;
        if (!acct_session_id.empty() && s.session_id)
            // A different session id is a later dial-in of the same user: not ours.
            match = sameSessionId(*s.session_id, acct_session_id);
        else if (!framed_ip.empty() && !s.address.empty())
            match = s.address == framed_ip;
        else
            match = listed.size() == 1;
        if (match)
            out.push_back(s);
    }
    return out;
}

std::string attributeValue(const store::CoaAttributeList& attributes, std::string_view name) {
    for (const auto& [n, v] : attributes)
        if (n == name)
            return v;
    return "";
}

MikrotikDisconnectFallback::MikrotikDisconnectFallback(CoaFallbackOptions options,
                                                       std::optional<crypto::SecretBox> box)
    : options_(std::move(options)), box_(std::move(box)) {}

void MikrotikDisconnectFallback::say(const std::string& line) {
    if (options_.log)
        options_.log(line);
    else {
        fmt::print(stderr, "gatehouse.{}\n", line);
        std::fflush(stderr);
    }
}

net::CoaFallback MikrotikDisconnectFallback::hook() {
    return [this](const store::ClaimedCoa& row, const net::CoaOutcome& outcome) {
        return (*this)(row, outcome);
    };
}

net::CoaFallbackResult MikrotikDisconnectFallback::operator()(const store::ClaimedCoa& row,
                                                              const net::CoaOutcome& outcome) {
    if (row.kind != "disconnect" || row.nas_type != "mikrotik")
        return {};
    net::CoaFallbackResult r;
    try {
        r = run(row);
    } catch (const std::exception& e) {
        r = {net::CoaFallbackResult::kFailed, std::string("api: database: ") + e.what()};
    }
    if (r.kind != net::CoaFallbackResult::kNotTried)
        say(fmt::format("coa.fallback id={} nas={} user={} session={} radius=\"{}\" {}=\"{}\"",
                        row.id, row.nas_name, row.username, row.acct_session_id,
                        net::describe(outcome),
                        r.kind == net::CoaFallbackResult::kEnded ? "ended" : "failed", r.detail));
    return r;
}

net::CoaFallbackResult MikrotikDisconnectFallback::run(const store::ClaimedCoa& row) {
    std::optional<NasTarget> nas;
    {
        pqxx::connection conn(options_.conninfo);
        nas = loadNasTarget(conn, row.nas_name);
    }
    if (!nas || nas->id != row.nas_id || !nas->hasApi())
        return {};
    using R = net::CoaFallbackResult;
    if (!box_)
        return {R::kFailed, "api: no key file: the API password cannot be opened"};
    std::string error;
    if (!openApiPassword(*box_, *nas, error))
        return {R::kFailed, "api: " + error};
    auto client = connectNasApi(*nas, options_.api);
    if (!client)
        return {R::kFailed, "api: " + client.error()};
    auto listed = (*client)->activeSessions(row.username);
    if (!listed)
        return {R::kFailed, "api: /ppp/active/print: " + listed.error().text()};
    const auto ours = matchActive(*listed, row.acct_session_id,
                                  attributeValue(row.attributes, "Framed-IP-Address"));
    if (ours.empty())
        return {R::kEnded, "not listed in /ppp/active"};
    std::string removed;
    for (const auto& s : ours) {
        auto done = (*client)->removeActive(s.id);
        // "no such item": it went away between print and remove, which is what we wanted.
        if (!done && (done.error().kind != net::RosError::kTrap ||
                      done.error().message.find("no such item") == std::string::npos))
            return {R::kFailed, "api: /ppp/active/remove " + s.id + ": " + done.error().text()};
        removed += (removed.empty() ? "" : ",") + s.id;
    }
    return {R::kEnded, "removed " + removed};
}

}  // namespace gatehouse::jobs
