#include "core/jobs/nas_health.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "core/jobs/nas_target.hpp"

namespace gatehouse::jobs {
namespace {

struct ApiOutcome {
    NasTarget nas;
    std::optional<ApiStatus> status;  // nullopt: failed, see error
    std::string error;
};

// The API checks of one run, `parallel` at a time; a cancelled context stops taking new ones.
void checkAll(std::vector<ApiOutcome>& work, const ApiCheckOptions& api, unsigned parallel,
              const JobContext& context) {
    std::atomic<size_t> next{0};
    auto worker = [&] {
        for (size_t i = next++; i < work.size(); i = next++) {
            if (context.cancelled())
                return;
            ApiOutcome& o = work[i];
            if (!o.error.empty())
                continue;  // the password did not open
            auto status = readApiStatus(o.nas, api);
            if (status)
                o.status = std::move(*status);
            else
                o.error = status.error();
        }
    };
    const size_t threads = std::min<size_t>(std::max(1u, parallel), work.size());
    std::vector<std::thread> pool;
    for (size_t i = 1; i < threads; ++i)
        pool.emplace_back(worker);
    if (threads > 0)
        worker();
    for (auto& t : pool)
        t.join();
}

}  // namespace

NasHealthPoller::NasHealthPoller(NasHealthOptions options, std::optional<crypto::SecretBox> box)
    : options_(std::move(options)), box_(std::move(box)) {}

void NasHealthPoller::say(const std::string& line) {
    if (options_.log)
        options_.log(line);
    else
        fmt::print(stderr, "{}\n", line);
}

Job NasHealthPoller::job() {
    Job j;
    j.name = "nas_health";
    j.interval = options_.interval;
    j.run = [this](const JobContext& context) { runOnce(context); };
    return j;
}

NasHealthRun NasHealthPoller::runOnce(const JobContext& context) {
    const auto start = std::chrono::steady_clock::now();
    NasHealthRun run;
    pqxx::connection conn(options_.conninfo);

    // The previous outcome of each NAS: a line is logged only when it changes.
    std::map<int64_t, std::string> previous_error;
    {
        pqxx::read_transaction txn(conn);
        for (const auto& r : txn.exec("SELECT id, COALESCE(last_check_error, '') FROM "
                                      "nas_devices WHERE enabled AND last_check_at IS NOT NULL"))
            previous_error[r[0].as<int64_t>()] = r[1].as<std::string>();
    }

    std::vector<ApiOutcome> work;
    for (auto& nas : loadEnabledNasTargets(conn)) {
        if (!nas.hasApi())
            continue;
        ApiOutcome o;
        o.nas = std::move(nas);
        if (!box_)
            o.error = "no key file to open the API password with";
        else
            openApiPassword(*box_, o.nas, o.error);
        work.push_back(std::move(o));
    }
    checkAll(work, options_.api, options_.parallel, context);
    if (context.cancelled()) {
        run.cancelled = true;
        say("jobs.nas_health cancelled (no longer the leader): nothing written");
        return run;
    }

    const std::string window = std::to_string(options_.online_window.count());
    pqxx::work txn(conn);
    for (const auto& o : work) {
        const std::string id = std::to_string(o.nas.id);
        if (o.status) {
            ++run.api_ok;
            txn.exec_params(
                "UPDATE nas_devices SET last_seen = now(), is_online = true, version = $2,"
                " identity = $3, uptime = $4, board_name = $5, last_check_at = now(),"
                " last_check_error = NULL WHERE id = $1",
                o.nas.id, o.status->version, o.status->identity, o.status->uptime,
                o.status->board_name);
            auto before = previous_error.find(o.nas.id);
            if (before == previous_error.end() || !before->second.empty())
                say(fmt::format("jobs.nas_health.api_ok nas={} identity=\"{}\" version=\"{}\"",
                                o.nas.name, o.status->identity, o.status->version));
        } else {
            ++run.api_failed;
            // A failed check is no sign of life, but not proof of death either: online until
            // the last one is older than the window.
            txn.exec_params(
                "UPDATE nas_devices SET is_online = COALESCE(last_seen > now() - make_interval("
                "secs => $2), false), last_check_at = now(), last_check_error = $3 WHERE id = $1",
                o.nas.id, options_.online_window.count(), o.error);
            auto before = previous_error.find(o.nas.id);
            if (before == previous_error.end() || before->second != o.error)
                say(fmt::format("jobs.nas_health.api_failed nas={} error=\"{}\"", o.nas.name,
                                o.error));
        }
    }
    // NAS without API credentials: their open sessions' newest accounting update (the partial
    // index radacct_open_by_nas finds them), never moving last_seen backwards.
    auto passive = txn.exec_params(
        "UPDATE nas_devices n SET last_seen = GREATEST(n.last_seen, s.seen),"
        " is_online = COALESCE(GREATEST(n.last_seen, s.seen) > now() - make_interval(secs => $1),"
        " false), last_check_at = now(), last_check_error = NULL"
        " FROM (SELECT d.id, (SELECT max(r.acctupdatetime) FROM radacct r"
        "        WHERE r.nasipaddress = d.ip AND r.acctstoptime IS NULL) AS seen"
        "       FROM nas_devices d WHERE d.enabled"
        "        AND NOT (d.api_username <> '' AND d.api_password_enc IS NOT NULL)) s"
        " WHERE n.id = s.id",
        options_.online_window.count());
    run.passive = static_cast<size_t>(passive.affected_rows());
    run.online =
        txn.exec("SELECT count(*) FROM nas_devices WHERE enabled AND is_online")[0][0].as<size_t>();
    txn.commit();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - start)
                        .count();
    say(fmt::format("jobs.nas_health api_ok={} api_failed={} passive={} online={} ms={}",
                    run.api_ok, run.api_failed, run.passive, run.online, ms));
    return run;
}

}  // namespace gatehouse::jobs
