#include "core/jobs/coa_verify.hpp"

#include <fmt/core.h>

#include <cstdio>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <stdexcept>
#include <vector>

#include "core/jobs/coa_fallback.hpp"
#include "core/jobs/mikrotik_rate.hpp"
#include "core/jobs/nas_target.hpp"
#include "core/store/coa_verify_repository.hpp"

namespace gatehouse::jobs {
namespace {

// One API login per NAS per pass, made on first need.
struct NasApi {
    bool has_api = false;  // a MikroTik with credentials
    std::unique_ptr<net::RouterOsClient> client;
    std::string error;  // why client is empty although has_api
};

struct Verdict {
    std::string result;  // "" = wait for a later pass
    std::string detail;
};

// RouterOS names the dynamic queue of a PPP session shaped by RADIUS "<service-user>"
// ("<pppoe-alice>"; reference routeros-api.md "/queue/simple"). The service comes from the
// /ppp/active entry; pppoe when the router did not say.
std::string dynamicQueueName(const net::RouterOsClient::ActiveSession& session,
                             const std::string& username) {
    return "<" + (session.service.empty() ? std::string("pppoe") : session.service) + "-" +
           username + ">";
}

// A CoA carrying Mikrotik-Rate-Limit, the session still listed: the rate pair it asked for
// against the max-limit of the session's queue (mikrotik_rate.hpp says why the first numbers
// compare with each other). `queues` are the rows /queue/simple/print ?name= returned.
Verdict judgeRate(const std::string& rate_limit, const std::string& queue,
                  const std::vector<net::RosRow>& queues) {
    auto wanted = parseRateLimitAttribute(rate_limit);
    if (!wanted)
        return {"unverified", "cannot compare: " + wanted.error()};
    if (queues.empty())
        return {"unverified", "no queue " + queue};
    auto it = queues.front().find("max-limit");
    if (it == queues.front().end())
        return {"unverified", "queue " + queue + " shows no max-limit"};
    auto actual = parseQueueMaxLimit(it->second);
    if (!actual)
        return {"unverified", "queue " + queue + ": " + actual.error()};
    if (*actual == *wanted)
        return {"verified", "rate " + formatRosRatePair(*wanted) + " in queue " + queue};
    return {"unverified", "rate " + formatRosRatePair(*actual) + " in queue " + queue +
                              ", the CoA asked for " + formatRosRatePair(*wanted)};
}

}  // namespace

CoaVerifier::CoaVerifier(CoaVerifyOptions options, std::optional<crypto::SecretBox> box)
    : options_(std::move(options)), box_(std::move(box)) {}

void CoaVerifier::say(const std::string& line) {
    if (options_.log)
        options_.log(line);
    else {
        fmt::print(stderr, "gatehouse.{}\n", line);
        std::fflush(stderr);
    }
}

CoaVerifyRun CoaVerifier::runOnce(const JobContext& context) {
    CoaVerifyRun run;
    pqxx::connection conn(options_.conninfo);
    auto rows = store::listCoaToVerify(conn, options_.batch, options_.window);
    if (!rows)
        throw std::runtime_error(store::describe(rows.error()));
    std::map<int64_t, NasApi> apis;
    auto apiFor = [&](const store::CoaToVerify& row) -> NasApi& {
        auto [it, fresh] = apis.try_emplace(row.nas_id);
        if (!fresh)
            return it->second;
        NasApi& api = it->second;
        auto nas = loadNasTarget(conn, row.nas_name);
        if (!nas || nas->type != "mikrotik" || !nas->hasApi())
            return api;
        api.has_api = true;
        if (!box_) {
            api.error = "no key file: the API password cannot be opened";
            return api;
        }
        if (!openApiPassword(*box_, *nas, api.error))
            return api;
        auto client = connectNasApi(*nas, options_.api);
        if (client)
            api.client = std::move(*client);
        else
            api.error = client.error();
        return api;
    };
    // The /ppp/active entries the row names (empty: gone), or nullopt with `error` set when
    // the API could not say.
    using Sessions = std::vector<net::RouterOsClient::ActiveSession>;
    auto matchedOnRouter = [&](NasApi& api, const store::CoaToVerify& row,
                               std::string& error) -> std::optional<Sessions> {
        if (!api.client) {
            error = "api: " + api.error;
            return std::nullopt;
        }
        auto listed = api.client->activeSessions(row.username);
        if (!listed) {
            error = "api: /ppp/active/print: " + listed.error().text();
            api.error = listed.error().text();
            api.client.reset();  // one failure per NAS per pass is enough
            return std::nullopt;
        }
        return matchActive(*listed, row.acct_session_id, row.framed_ip);
    };
    auto listedOnRouter = [&](NasApi& api, const store::CoaToVerify& row,
                              std::string& error) -> std::optional<bool> {
        auto matched = matchedOnRouter(api, row, error);
        if (!matched)
            return std::nullopt;
        return !matched->empty();
    };
    // The session's queue rows, or nullopt with `error` set when the API failed.
    auto queuesOnRouter = [&](NasApi& api, const std::string& queue,
                              std::string& error) -> std::optional<std::vector<net::RosRow>> {
        auto printed = api.client->run("/queue/simple/print", {"=.proplist=.id,name,max-limit"},
                                       {"?name=" + queue});
        if (!printed) {
            error = "api: /queue/simple/print: " + printed.error().text();
            api.error = printed.error().text();
            api.client.reset();
            return std::nullopt;
        }
        return std::move(*printed);
    };

    for (const auto& row : *rows) {
        if (context.cancelled()) {
            run.cancelled = true;
            break;
        }
        Verdict v;
        const std::string window = fmt::format("{}s", options_.window.count());
        if (row.kind == "disconnect") {
            if (!row.accounting_open) {
                v = {"verified", "radacct: session closed (Stop)"};
            } else {
                NasApi& api = apiFor(row);
                std::string error;
                std::optional<bool> listed;
                if (api.has_api)
                    listed = listedOnRouter(api, row, error);
                if (listed && !*listed)
                    v = {"verified", "api: not in /ppp/active (radacct still open: no Stop yet)"};
                else if (row.past_window)
                    v = {"unverified",
                         listed ? "still in /ppp/active and open in radacct after " + window
                                : "still open in radacct (no Stop) after " + window +
                                      (error.empty() ? "" : "; " + error)};
            }
        } else {
            NasApi& api = apiFor(row);
            if (!api.has_api) {
                v = {"skipped",
                     fmt::format("no check for a CoA on a {} NAS without API", row.nas_type)};
            } else {
                std::string error;
                auto matched = matchedOnRouter(api, row, error);
                if (matched && matched->empty()) {
                    v = {"unverified", "api: session gone from /ppp/active after the CoA"};
                } else if (matched && row.rate_limit.empty()) {
                    v = {"verified", "api: session still in /ppp/active (no rate in the CoA)"};
                } else if (matched) {
                    const std::string queue = dynamicQueueName(matched->front(), row.username);
                    auto queues = queuesOnRouter(api, queue, error);
                    if (queues)
                        v = judgeRate(row.rate_limit, queue, *queues);
                }
                if (v.result.empty() && !error.empty() && row.past_window)
                    v = {"unverified", error};
            }
        }
        if (v.result.empty()) {
            ++run.waiting;
            continue;
        }
        auto recorded = store::recordCoaVerification(conn, row.id, v.result, v.detail);
        if (!recorded)
            throw std::runtime_error(store::describe(recorded.error()));
        if (!*recorded)
            continue;
        if (v.result == "verified")
            ++run.verified;
        else if (v.result == "unverified")
            ++run.unverified;
        else
            ++run.skipped;
        say(fmt::format("coa.verify id={} nas={} kind={} user={} via={} result={} detail=\"{}\"",
                        row.id, row.nas_name, row.kind, row.username, row.done_via, v.result,
                        v.detail));
    }
    return run;
}

Job CoaVerifier::job() {
    Job j;
    j.name = "coa_verify";
    j.interval = options_.interval;
    j.run = [this](const JobContext& context) { runOnce(context); };
    return j;
}

}  // namespace gatehouse::jobs
