#include "core/jobs/fup_coa.hpp"

#include <fmt/core.h>

#include <cstdio>
#include <optional>
#include <pqxx/pqxx>
#include <unordered_map>

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

// Kinds whose CoA the policy renders; the others are Disconnects and need neither the policy
// nor the snapshot (docs/coa.md "Plan change, renewal, disable, expiry").
bool rendered(const std::string& kind) {
    return kind == "tier" || kind == "plan";
}

// coa_requests.reason per kind.
std::string coaReason(const std::string& kind) {
    if (kind == "tier")
        return "fup";
    if (kind == "plan")
        return "plan_change";
    return kind;  // renewal, disabled, expiry
}

std::string noSessionNote(const std::string& kind) {
    if (kind == "tier")
        return "no open session: the tier applies at the next login";
    if (kind == "plan")
        return "no open session: the plan applies at the next login";
    return "no open session";
}

struct PendingJob {
    int64_t id = 0;
    int64_t subscriber_id = 0;
    int to_tier = 0;
    std::string username;
    std::string kind;
    std::optional<int64_t> from_service_id;
};

struct Render {
    policy::PolicyHost* host = nullptr;
    std::shared_ptr<const store::Snapshot> snapshot;
    std::unordered_map<int64_t, const store::NasEntry*> nas_by_id;
    int64_t now = 0;
};

// The attributes of a tier or plan CoA for session `s`; empty: send a Disconnect instead.
Expected<store::CoaAttributeList, std::string> coaAttributes(pqxx::work& txn, const PendingJob& job,
                                                             const policy::Subscriber& sub,
                                                             const store::OpenSession& s,
                                                             const Render& render) {
    const store::CoaAttributeList disconnect;  // empty: send a Disconnect-Request instead
    auto nas_it = render.nas_by_id.find(*s.nas_id);
    if (nas_it == render.nas_by_id.end())
        return unexpected("NAS " + s.nas_ip + " is not registered");
    const policy::Service* service = sub.service.get();
    if (job.kind == "plan") {
        // A CoA cannot give a PPP session another address (docs/coa.md, per vendor): when the
        // new plan takes its address from elsewhere the session is ended and the redial gets
        // one from the new plan; its Stop frees the old address.
        const std::string new_managed = service ? service->managed_pool : "";
        const std::string new_nas_pool = service ? service->pool_name : "";
        if (!s.framed_ip.empty()) {
            auto held = txn.exec_params(
                "SELECT pool_name FROM ip_pool_assignments WHERE ip = $1::inet"
                " AND subscriber_id = $2",
                s.framed_ip, job.subscriber_id);
            if (!held.empty() && held[0][0].as<std::string>() != new_managed)
                return disconnect;
        }
        // The old plan's NAS pool (Framed-Pool) or managed pool, when the address is not the
        // subscriber's own static one; and the MikroTik address list, which RouterOS does not
        // change by CoA (vendors/mikrotik.lua).
        if (job.from_service_id) {
            auto old = txn.exec_params(
                "SELECT pool_name, managed_pool, address_list FROM services WHERE id = $1",
                *job.from_service_id);
            const std::string new_list = service ? service->address_list : "";
            if (!old.empty()) {
                const bool pool_changed = old[0][0].as<std::string>() != new_nas_pool ||
                                          old[0][1].as<std::string>() != new_managed;
                if ((pool_changed && s.framed_ip != sub.static_ip) ||
                    old[0][2].as<std::string>() != new_list)
                    return disconnect;
            }
        }
        // Not a plain rate change any more: authorize() decides at the redial (reject, grace,
        // walled garden).
        if (!sub.enabled || (sub.expires_at && *sub.expires_at <= render.now))
            return disconnect;
    }
    auto attrs = render.host->coaForTier(sub, nas_it->second->nas, render.snapshot->settings(),
                                         job.to_tier, render.now);
    if (!attrs)
        return unexpected("coa_for_tier: " + oneLine(attrs.error().describe()));
    const radius::Dictionary& dict = radius::Dictionary::builtin();
    store::CoaAttributeList out;
    for (const policy::ReplyAttribute& a : *attrs)
        if (a.def)
            out.emplace_back(a.def->name, radius::formatValue(dict, *a.def, a.value));
    if (out.empty() && job.kind == "tier")
        return unexpected(std::string("coa_for_tier: no attributes for this NAS"));
    return out;  // a plan without attributes (no service): Disconnect
}

// One pending job: a request per open session of the subscriber, then the job's status.
void carryOut(pqxx::work& txn, const PendingJob& job, const Render& render,
              std::chrono::seconds lifetime, FupCoaRun& run) {
    auto finish = [&](const char* status, const std::string& note) {
        txn.exec_params(
            "UPDATE tier_change_jobs SET status = $2, attempts = attempts + 1,"
            " last_error = NULLIF($3, '') WHERE id = $1",
            job.id, status, note);
    };
    const store::SubscriberEntry* sub = nullptr;
    if (rendered(job.kind)) {
        sub = render.snapshot->subscriber(job.username);
        if (sub == nullptr) {
            finish("failed", "subscriber not loaded (its password does not open?)");
            ++run.failed;
            return;
        }
    }
    // The sessions are read inside the job's transaction.
    store::OpenSessionFilter filter;
    filter.subscriber_id = job.subscriber_id;
    const std::vector<store::OpenSession> sessions = store::findOpenSessions(txn, filter);
    if (sessions.empty()) {
        finish("done", noSessionNote(job.kind));
        ++run.no_session;
        return;
    }
    std::string problem;
    size_t queued = 0;
    for (const store::OpenSession& s : sessions) {
        if (!s.nas_id) {
            problem = "NAS " + s.nas_ip + " is not registered";
            continue;
        }
        store::CoaEnqueue in;
        in.nas_id = *s.nas_id;
        in.subscriber_id = job.subscriber_id;
        in.username = s.username;
        in.acct_session_id = s.acct_session_id;
        in.kind = "disconnect";
        in.reason = coaReason(job.kind);
        in.lifetime = lifetime;
        in.attributes = store::identifySession(s);
        if (rendered(job.kind)) {
            auto attrs = coaAttributes(txn, job, *sub->subscriber, s, render);
            if (!attrs) {
                problem = attrs.error();
                continue;
            }
            if (!attrs->empty()) {
                in.kind = "coa";
                for (auto& a : *attrs)
                    in.attributes.push_back(std::move(a));
            }
        }
        auto id = store::enqueueCoa(txn, in);
        if (!id) {
            problem = store::describe(id.error());
            continue;
        }
        ++queued;
        if (in.kind == "disconnect")
            ++run.disconnects;
    }
    run.queued += queued;
    if (queued == 0) {
        finish("failed", problem);
        ++run.failed;
    } else {
        finish("done", problem);
    }
}

}  // namespace

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

policy::PolicyHost* FupCoaJob::policyHost() {
    State& st = *state_;
    const auto now_steady = std::chrono::steady_clock::now();
    if (!st.ever_loaded || now_steady - st.loaded > kPolicyReload) {
        if (!st.store.reload("fup_coa").ok && !st.ever_loaded) {
            say("jobs.fup_coa.no_policy dir=" + options_.policy_dir);
            return nullptr;
        }
        st.ever_loaded = true;
        st.loaded = now_steady;
        if (!st.vm)
            st.vm = std::make_unique<policy::WorkerPolicy>(st.store);
    }
    st.vm->refresh();
    return st.vm->host();
}

FupCoaRun FupCoaJob::runOnce(const JobContext& context) {
    FupCoaRun run;
    pqxx::connection conn(options_.conninfo);
    int64_t pending = 0;
    int64_t pending_rendered = 0;
    {
        pqxx::read_transaction txn(conn);
        auto r = txn.exec1(
            "SELECT count(*), count(*) FILTER (WHERE kind IN ('tier', 'plan'))"
            " FROM tier_change_jobs WHERE status = 'pending'");
        pending = r[0].as<int64_t>();
        pending_rendered = r[1].as<int64_t>();
    }
    if (pending == 0)
        return run;  // the usual case: nothing to load
    // The policy and the snapshot only when a CoA is to be rendered: a broken policy directory
    // must not hold up Disconnects.
    Render render;
    if (pending_rendered > 0) {
        render.host = policyHost();
        if (render.host != nullptr) {
            render.snapshot = store::loadSnapshot(conn, box_);
            for (const auto& [ip, entry] : render.snapshot->nas_)
                render.nas_by_id.emplace(entry->nas.id, entry.get());
        } else if (pending_rendered == pending) {
            return run;
        }
    }
    render.now = std::chrono::duration_cast<std::chrono::seconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();

    pqxx::work txn(conn);
    // Without a policy the tier and plan jobs stay pending for a later run.
    auto rows = txn.exec_params(
        std::string("SELECT j.id, j.subscriber_id, j.to_tier, s.username, j.kind,"
                    " j.from_service_id FROM tier_change_jobs j"
                    " JOIN subscribers s ON s.id = j.subscriber_id WHERE j.status = 'pending'") +
            (render.host == nullptr ? " AND j.kind NOT IN ('tier', 'plan')" : "") +
            " ORDER BY j.created_at, j.id LIMIT $1 FOR UPDATE OF j SKIP LOCKED",
        static_cast<int64_t>(options_.batch));
    for (const auto& row : rows) {
        if (context.cancelled())
            return run;  // the transaction rolls back: another leader takes them
        ++run.jobs;
        PendingJob job;
        job.id = row[0].as<int64_t>();
        job.subscriber_id = row[1].as<int64_t>();
        job.to_tier = row[2].as<int>();
        job.username = row[3].as<std::string>();
        job.kind = row[4].as<std::string>();
        if (!row[5].is_null())
            job.from_service_id = row[5].as<int64_t>();
        carryOut(txn, job, render, options_.lifetime, run);
    }
    txn.commit();
    if (run.jobs > 0)
        say(fmt::format("jobs.fup_coa jobs={} queued={} disconnects={} no_session={} failed={}",
                        run.jobs, run.queued, run.disconnects, run.no_session, run.failed));
    return run;
}

}  // namespace gatehouse::jobs
