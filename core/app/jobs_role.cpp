#include "core/app/jobs_role.hpp"

#include <fmt/core.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <pqxx/pqxx>
#include <stdexcept>

#include "core/app/config.hpp"
#include "core/crypto/secret_box.hpp"
#include "core/jobs/coa_fallback.hpp"
#include "core/jobs/coa_verify.hpp"
#include "core/jobs/expiry_watch.hpp"
#include "core/jobs/fup_coa.hpp"
#include "core/jobs/job_periods.hpp"
#include "core/jobs/leader.hpp"
#include "core/jobs/mikrotik_sync.hpp"
#include "core/jobs/nas_health.hpp"
#include "core/jobs/scheduler.hpp"
#include "core/net/coa_sender.hpp"
#include "core/radius/dictionary.hpp"
#include "core/store/ipam_repository.hpp"
#include "core/store/pg_pool.hpp"
#include "core/util/one_line.hpp"

namespace gatehouse::app {
namespace {

void logLine(std::string_view line) {
    fmt::print(stderr, "gatehouse.{}\n", line);
    std::fflush(stderr);
}

// The database may be down at start: the defaults (a 5-minute interval) then apply until the
// next start, and the line says so.
jobs::JobPeriods readJobPeriods(const std::string& conninfo) {
    std::optional<std::string> value;
    std::string why;
    try {
        pqxx::connection conn(conninfo);
        value = jobs::readInterimSetting(conn);
    } catch (const std::exception& e) {
        why = fmt::format(" error=\"{}\"", oneLine(e.what()));
    }
    const jobs::JobPeriods p = jobs::jobPeriodsFor(jobs::interimFromSetting(value));
    logLine(fmt::format(
        "jobs.periods interim_interval={} mikrotik_sync_s={} "
        "coa_verify_window_s={}{}",
        value ? *value : "-", p.mikrotik_sync.count(), p.coa_verify_window.count(), why));
    return p;
}

class RunningJobs : public JobsRole {
  public:
    RunningJobs(const ServeConfig& config, std::optional<crypto::SecretBox> box)
        : scheduler_(jobs::SchedulerOptions{logLine}), conninfo_(config.db) {
        // Periods that follow settings.interim_interval, read once: the scheduler cannot change
        // a period later (docs/jobs.md "Periods from the interim interval").
        const jobs::JobPeriods periods = readJobPeriods(config.db);
        // FUP tier changes become CoA-Requests in the outbox (docs/jobs.md "FUP to CoA").
        if (box) {
            jobs::FupCoaOptions fo;
            fo.conninfo = config.db;
            fo.policy_dir = config.policy_dir;
            fo.log = logLine;
            fup_coa_ = std::make_unique<jobs::FupCoaJob>(std::move(fo), *box);
            scheduler_.add(fup_coa_->job());
        }
        // Sessions that outlive their expiry (plus grace) are ended (docs/coa.md "Plan change,
        // renewal, disable, expiry"): the job rows above carry it out.
        {
            jobs::ExpiryWatchOptions eo;
            eo.conninfo = config.db;
            eo.log = logLine;
            expiry_ = std::make_unique<jobs::ExpiryWatch>(std::move(eo));
            scheduler_.add(expiry_->job());
        }
        // A Disconnect a MikroTik did not carry out is removed over its API; acked rows are
        // checked again (docs/coa.md "Fallback", "Verification").
        {
            jobs::CoaFallbackOptions fo;
            fo.conninfo = config.db;
            fo.log = logLine;
            coa_fallback_ = std::make_unique<jobs::MikrotikDisconnectFallback>(std::move(fo), box);
            jobs::CoaVerifyOptions vo;
            vo.conninfo = config.db;
            vo.log = logLine;
            vo.window = periods.coa_verify_window;
            coa_verify_ = std::make_unique<jobs::CoaVerifier>(std::move(vo), box);
            scheduler_.add(coa_verify_->job());
        }
        // The outbox is sent (docs/coa.md): every 5 s what is due.
        jobs::Job send;
        send.name = "coa_send";
        send.interval = std::chrono::seconds(5);
        send.run = [this](const jobs::JobContext&) {
            if (!coa_pool_) {
                coa_pool_ = std::make_unique<store::PgPool>(conninfo_, 1);
                net::CoaSenderOptions so;
                so.fallback = coa_fallback_->hook();
                coa_sender_ = std::make_unique<net::CoaSender>(
                    *coa_pool_, radius::Dictionary::builtin(), std::move(so));
            }
            auto pass = coa_sender_->runOnce();
            if (!pass)
                throw std::runtime_error(store::describe(pass.error()));
        };
        scheduler_.add(std::move(send));
        // Pool addresses agree with the open sessions (docs/ipam.md "Sync").
        jobs::Job sync;
        sync.name = "ipam_sync";
        sync.interval = std::chrono::minutes(5);
        sync.run = [this](const jobs::JobContext&) {
            pqxx::connection conn(conninfo_);
            auto changes = store::syncFromSessions(conn, std::chrono::minutes(10));
            if (!changes)
                throw std::runtime_error(store::describe(changes.error()));
            for (const store::SyncChange& c : *changes)
                logLine(fmt::format("jobs.ipam_sync {} pool={} ip={} subscriber={} {}",
                                    store::toString(c.kind), c.pool, c.ip,
                                    c.subscriber_id ? std::to_string(*c.subscriber_id) : "-",
                                    c.reason));
        };
        scheduler_.add(std::move(sync));
        // Pools and /ppp/active from MikroTik NAS, every interim interval (docs/ipam.md "Pools
        // from MikroTik"): closes sessions the router no longer has.
        {
            jobs::MikrotikSyncOptions mo;
            mo.conninfo = config.db;
            mo.log = logLine;
            mo.interval = periods.mikrotik_sync;
            mikrotik_sync_ = std::make_unique<jobs::MikrotikSyncJob>(std::move(mo), box);
            scheduler_.add(mikrotik_sync_->job());
        }
        if (config.nas_health_seconds > 0) {
            jobs::NasHealthOptions o;
            o.conninfo = config.db;
            o.interval = std::chrono::seconds(config.nas_health_seconds);
            o.log = logLine;
            health_ = std::make_unique<jobs::NasHealthPoller>(std::move(o), std::move(box));
            scheduler_.add(health_->job());
        }
        jobs::LeaderOptions lo;
        lo.conninfo = config.db;
        lo.retry_ms = config.jobs_retry_ms;
        lo.on_gain = [this] { scheduler_.setLeader(true); };
        lo.on_lose = [this] { scheduler_.setLeader(false); };
        lo.log = logLine;
        leader_ = std::make_unique<jobs::Leader>(std::move(lo));
        scheduler_.start();
        leader_->start();
    }
    ~RunningJobs() override { stop(); }

    void stop() override {
        if (leader_)
            leader_->stop();  // on_lose: the scheduler starts nothing new
        scheduler_.stop();
        leader_.reset();
    }

  private:
    jobs::Scheduler scheduler_;
    std::string conninfo_;
    std::unique_ptr<jobs::FupCoaJob> fup_coa_;
    std::unique_ptr<jobs::ExpiryWatch> expiry_;
    std::unique_ptr<store::PgPool> coa_pool_;  // made on the first run (the database may be down)
    std::unique_ptr<net::CoaSender> coa_sender_;
    std::unique_ptr<jobs::MikrotikDisconnectFallback> coa_fallback_;
    std::unique_ptr<jobs::CoaVerifier> coa_verify_;
    std::unique_ptr<jobs::NasHealthPoller> health_;
    std::unique_ptr<jobs::MikrotikSyncJob> mikrotik_sync_;
    std::unique_ptr<jobs::Leader> leader_;
};

}  // namespace

Expected<Roles, std::string> parseRoles(std::string_view text) {
    Roles roles{false, false, false};
    bool any = false;
    while (true) {
        const size_t comma = text.find(',');
        std::string_view word = text.substr(0, comma);
        while (!word.empty() && word.front() == ' ')
            word.remove_prefix(1);
        while (!word.empty() && word.back() == ' ')
            word.remove_suffix(1);
        if (word == "radius")
            roles.radius = true;
        else if (word == "api")
            roles.api = true;
        else if (word == "jobs")
            roles.jobs = true;
        else
            return unexpected(fmt::format(
                "roles: unknown role \"{}\" (expected a comma list of radius, api, jobs)", word));
        any = true;
        if (comma == std::string_view::npos)
            break;
        text.remove_prefix(comma + 1);
    }
    if (!any)
        return unexpected(std::string("roles: empty"));
    return roles;
}

std::unique_ptr<JobsRole> startJobsRole(const ServeConfig& config, bool create_key) {
    if (config.db.empty()) {
        fmt::print(stderr, "roles: the jobs role needs a database (--db, db =, GATEHOUSE_DB)\n");
        return nullptr;
    }
    // The key opens the NAS API passwords. A jobs-only node does not create a missing one (a
    // fresh key would open nothing): API checks then fail with a clear error, the rest runs.
    std::optional<crypto::SecretBox> box;
    struct stat st {};
    if (create_key || ::stat(config.key_file.c_str(), &st) == 0) {
        auto loaded = crypto::SecretBox::loadOrCreate(config.key_file);
        if (!loaded) {
            fmt::print(stderr, "key_file: {}\n", loaded.error());
            return nullptr;
        }
        box = std::move(*loaded);
    } else {
        fmt::print(stderr,
                   "gatehouse.serve.warning key_file: {} does not exist: NAS API passwords "
                   "cannot be opened\n",
                   config.key_file);
    }
    fmt::print(stderr, "gatehouse.serve.jobs nas_health_seconds={} retry_ms={}\n",
               config.nas_health_seconds, config.jobs_retry_ms);
    return std::make_unique<RunningJobs>(config, std::move(box));
}

int waitWithoutRadius(const ServeConfig& config, JobsRole* jobs, const sigset_t& stop_signals) {
    fmt::print("gatehouse.serve.ready roles={}\n", config.roles);
    std::fflush(stdout);
    int signal = 0;
    sigwait(&stop_signals, &signal);
    fmt::print(stderr, "gatehouse.serve.stopping signal={}\n", signal);
    if (jobs != nullptr)
        jobs->stop();
    fmt::print(stderr, "gatehouse.serve.stopped\n");
    return 0;
}

}  // namespace gatehouse::app
