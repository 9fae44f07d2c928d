#include "core/jobs/coa_verify.hpp"

#include <fmt/core.h>

#include <cstdio>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <stdexcept>

#include "core/jobs/coa_fallback.hpp"
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
    // Listed: true/false, or nullopt with `error` set when the API could not say.
    auto listedOnRouter = [&](NasApi& api, const store::CoaToVerify& row,
                              std::string& error) -> std::optional<bool> {
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
        return !matchActive(*listed, row.acct_session_id, row.framed_ip).empty();
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
                auto listed = listedOnRouter(api, row, error);
                if (listed && *listed)
                    v = {"verified", "api: session still in /ppp/active (rate not read)"};
                else if (listed)
                    v = {"unverified", "api: session gone from /ppp/active after the CoA"};
                else if (row.past_window)
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
