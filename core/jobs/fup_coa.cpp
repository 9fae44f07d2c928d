#include "core/jobs/fup_coa.hpp"

#include <fmt/core.h>

#include <arpa/inet.h>

#include <cstdio>
#include <pqxx/pqxx>

#include "core/policy/worker_policy.hpp"
#include "core/radius/dictionary.hpp"
#include "core/radius/value.hpp"
#include "core/store/coa_outbox_repository.hpp"
#include "core/store/open_sessions.hpp"
#include "core/store/snapshot_loader.hpp"
#include "core/util/one_line.hpp"

namespace gatehouse::jobs {

namespace {
constexpr auto kPolicyReload = std::chrono::minutes(5);
}

struct FupCoaJob::State {
    explicit State(const std::string& dir)
        : store(radius::Dictionary::builtin(), policy::StoreOptions{dir, {}, nullptr}) {}
    policy::PolicyStore store;
    std::unique_ptr<policy::WorkerPolicy> vm;
    std::chrono::steady_clock::time_point loaded{};
    bool ever_loaded = false;
};

FupCoaJob::FupCoaJob(FupCoaOptions options, crypto::SecretBox box)
    : options_(std::move(options)),
      box_(std::move(box)),
      state_(std::make_unique<State>(options_.policy_dir)) {}

FupCoaJob::~FupCoaJob() = default;

void FupCoaJob::say(const std::string& line) {
    if (options_.log)
        options_.log(line);
    else
        fmt::print(stderr, "gatehouse.{}\n", line);
}

Job FupCoaJob::job() {
    Job j;
    j.name = "fup_coa";
    j.interval = options_.interval;
    j.run = [this](const JobContext& context) { runOnce(context); };
    return j;
}

FupCoaRun FupCoaJob::runOnce(const JobContext& context) {
    FupCoaRun run;
    pqxx::connection conn(options_.conninfo);
    {
        pqxx::read_transaction txn(conn);
        if (txn.exec1("SELECT count(*) FROM tier_change_jobs WHERE status = 'pending'")[0]
                .as<int64_t>() == 0)
            return run;  // the usual case: nothing to load
    }
    State& st = *state_;
    const auto now_steady = std::chrono::steady_clock::now();
    if (!st.ever_loaded || now_steady - st.loaded > kPolicyReload) {
        if (!st.store.reload("fup_coa").ok && !st.ever_loaded) {
            say("jobs.fup_coa.no_policy dir=" + options_.policy_dir);
            return run;
        }
        st.ever_loaded = true;
        st.loaded = now_steady;
        if (!st.vm)
            st.vm = std::make_unique<policy::WorkerPolicy>(st.store);
    }
    st.vm->refresh();
    policy::PolicyHost* host = st.vm->host();
    if (host == nullptr)
        return run;
    const std::shared_ptr<const store::Snapshot> snapshot = store::loadSnapshot(conn, box_);
    const radius::Dictionary& dict = radius::Dictionary::builtin();
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();

    pqxx::work txn(conn);
    auto jobs = txn.exec_params(
        "SELECT j.id, j.subscriber_id, j.to_tier, s.username FROM tier_change_jobs j"
        " JOIN subscribers s ON s.id = j.subscriber_id"
        " WHERE j.status = 'pending' ORDER BY j.created_at, j.id LIMIT $1"
        " FOR UPDATE OF j SKIP LOCKED",
        static_cast<int64_t>(options_.batch));
    for (const auto& row : jobs) {
        if (context.cancelled())
            return run;  // the transaction rolls back: another leader takes them
        ++run.jobs;
        const int64_t job_id = row[0].as<int64_t>();
        const int64_t subscriber_id = row[1].as<int64_t>();
        const int tier = row[2].as<int>();
        const std::string username = row[3].as<std::string>();
        auto finish = [&](const char* status, const std::string& note) {
            txn.exec_params(
                "UPDATE tier_change_jobs SET status = $2, attempts = attempts + 1,"
                " last_error = NULLIF($3, '') WHERE id = $1",
                job_id, status, note);
        };
        const store::SubscriberEntry* sub = snapshot->subscriber(username);
        if (sub == nullptr) {
            finish("failed", "subscriber not loaded (disabled or deleted)");
            ++run.failed;
            continue;
        }
        // The sessions are read inside the job's transaction.
        std::vector<store::OpenSession> sessions;
        {
            auto r = txn.exec_params(
                "SELECT r.acctsessionid, COALESCE(host(r.framedipaddress), ''),"
                " host(r.nasipaddress), r.nasipaddress, r.username"
                " FROM radacct r WHERE r.acctstoptime IS NULL AND r.subscriber_id = $1"
                " ORDER BY r.acctstarttime",
                subscriber_id);
            for (const auto& s : r) {
                store::OpenSession o;
                o.acct_session_id = s[0].as<std::string>();
                o.framed_ip = s[1].as<std::string>();
                o.nas_ip = s[2].as<std::string>();
                o.username = s[4].as<std::string>();
                o.subscriber_id = subscriber_id;
                sessions.push_back(std::move(o));
            }
        }
        if (sessions.empty()) {
            finish("done", "no open session: the tier applies at the next login");
            ++run.no_session;
            continue;
        }
        std::string problem;
        size_t queued = 0;
        for (const store::OpenSession& s : sessions) {
            in_addr_t ip = 0;
            const store::NasEntry* nas = nullptr;
            if (inet_pton(AF_INET, s.nas_ip.c_str(), &ip) == 1)
                nas = snapshot->nasByIp(ntohl(ip));
            if (nas == nullptr) {
                problem = "NAS " + s.nas_ip + " is not registered";
                continue;
            }
            auto attrs =
                host->coaForTier(*sub->subscriber, nas->nas, snapshot->settings(), tier, now);
            if (!attrs) {
                problem = "coa_for_tier: " + oneLine(attrs.error().describe());
                continue;
            }
            store::CoaEnqueue in;
            in.nas_id = nas->nas.id;
            in.subscriber_id = subscriber_id;
            in.username = s.username;
            in.acct_session_id = s.acct_session_id;
            in.kind = "coa";
            in.reason = "fup";
            in.lifetime = options_.lifetime;
            in.attributes = store::identifySession(s);
            for (const policy::ReplyAttribute& a : *attrs)
                if (a.def)
                    in.attributes.emplace_back(a.def->name,
                                               radius::formatValue(dict, *a.def, a.value));
            auto id = store::enqueueCoa(txn, in);
            if (!id) {
                problem = store::describe(id.error());
                continue;
            }
            ++queued;
        }
        run.queued += queued;
        if (queued == 0) {
            finish("failed", problem);
            ++run.failed;
        } else {
            finish("done", problem);
        }
    }
    txn.commit();
    if (run.jobs > 0)
        say(fmt::format("jobs.fup_coa jobs={} queued={} no_session={} failed={}", run.jobs,
                        run.queued, run.no_session, run.failed));
    return run;
}

}  // namespace gatehouse::jobs
