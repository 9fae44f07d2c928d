#include "core/policy/store.hpp"

#include <fmt/core.h>

#include <chrono>

#include "core/policy/verify.hpp"

namespace gatehouse::policy {

namespace {

std::string shortPrint(const std::string& fingerprint) {
    return fingerprint.substr(0, 12);
}

}  // namespace

std::string ReloadReport::describe() const {
    if (ok) {
        return fmt::format(
            "policy.reload.{} generation={} fingerprint={} tests={}/{} ms={:.1f} trigger={} dir={}",
            unchanged ? "unchanged" : "ok", generation, shortPrint(fingerprint), tests_passed,
            tests_passed + tests_failed, ms, trigger, directory);
    }
    return fmt::format("policy.reload.refused {} generation={} (still serving) trigger={} dir={}",
                       error ? error->describe() : std::string("unknown error"), generation,
                       trigger, directory);
}

PolicyStore::PolicyStore(const radius::Dictionary& dict, StoreOptions options)
    : dict_(dict), options_(std::move(options)), sink_(options_.sink) {
    if (!sink_)
        sink_ = &default_sink_;
}

std::shared_ptr<const PolicyBundle> PolicyStore::current() const {
    std::lock_guard lock(state_mu_);
    return current_;
}

PolicyStore::Snapshot PolicyStore::snapshot() const {
    std::lock_guard lock(state_mu_);
    Snapshot s;
    // Read under the lock, so version and pointers belong together.
    s.version = version_.load(std::memory_order_relaxed);
    s.generation = metrics_.generation.load(std::memory_order_relaxed);
    s.current = current_;
    s.canary = canary_;
    return s;
}

ReloadReport PolicyStore::verify(std::shared_ptr<const PolicyBundle> bundle,
                                 std::string_view trigger) {
    const auto start = std::chrono::steady_clock::now();
    ReloadReport report;
    report.trigger = std::string(trigger);
    report.directory = bundle->directory();
    report.fingerprint = bundle->fingerprint();
    VerifyReport v = verifyBundle(bundle, dict_, /*run_tests=*/true);
    report.tests_passed = v.tests.passed();
    report.tests_failed = v.tests.failed();
    for (const auto& c : v.tests.cases) {
        if (!c.passed)
            report.failed_tests.push_back(c);
    }
    report.error = v.firstFailure();
    report.ok = !report.error;
    report.ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    return report;
}

ReloadReport PolicyStore::refuse(ReloadReport report) {
    report.ok = false;
    report.generation = generation();
    metrics_.reloads_refused.fetch_add(1, std::memory_order_relaxed);
    const std::string line = report.describe();
    sink_->event("policy.reload.refused", line);
    return report;
}

ReloadReport PolicyStore::reload(std::string_view trigger) {
    std::lock_guard reload_lock(reload_mu_);
    auto loaded = PolicyBundle::loadDirectory(options_.directory, options_.engine);
    if (!loaded) {
        ReloadReport report;
        report.trigger = std::string(trigger);
        report.directory = options_.directory;
        report.error = loaded.error();
        return refuse(std::move(report));
    }
    // reloadBundle takes reload_mu_ too: call the body directly.
    auto bundle = std::move(*loaded);
    {
        std::lock_guard lock(state_mu_);
        if (current_ && current_->fingerprint() == bundle->fingerprint()) {
            // An editor touching a file, or a second SIGHUP: nothing to rebuild in workers.
            ReloadReport report;
            report.ok = true;
            report.unchanged = true;
            report.trigger = std::string(trigger);
            report.directory = bundle->directory();
            report.fingerprint = bundle->fingerprint();
            report.generation = metrics_.generation.load(std::memory_order_relaxed);
            sink_->event("policy.reload.unchanged", report.describe());
            return report;
        }
    }
    ReloadReport report = verify(bundle, trigger);
    if (!report.ok)
        return refuse(std::move(report));
    {
        std::lock_guard lock(state_mu_);
        current_ = std::move(bundle);
        report.generation = metrics_.generation.fetch_add(1, std::memory_order_relaxed) + 1;
        version_.fetch_add(1, std::memory_order_release);
    }
    metrics_.reloads_ok.fetch_add(1, std::memory_order_relaxed);
    sink_->event("policy.reload.ok", report.describe());
    return report;
}

ReloadReport PolicyStore::reloadBundle(std::shared_ptr<const PolicyBundle> bundle,
                                       std::string_view trigger) {
    std::lock_guard reload_lock(reload_mu_);
    ReloadReport report = verify(bundle, trigger);
    if (!report.ok)
        return refuse(std::move(report));
    {
        std::lock_guard lock(state_mu_);
        current_ = std::move(bundle);
        report.generation = metrics_.generation.fetch_add(1, std::memory_order_relaxed) + 1;
        version_.fetch_add(1, std::memory_order_release);
    }
    metrics_.reloads_ok.fetch_add(1, std::memory_order_relaxed);
    sink_->event("policy.reload.ok", report.describe());
    return report;
}

ReloadReport PolicyStore::startCanary(const std::string& directory, const CanaryConfig& config) {
    auto loaded = PolicyBundle::loadDirectory(directory, options_.engine);
    if (!loaded) {
        ReloadReport report;
        report.trigger = "canary";
        report.directory = directory;
        report.error = loaded.error();
        report.generation = generation();
        sink_->event("policy.canary.refused", fmt::format("policy.canary.refused {} dir={}",
                                                          report.error->describe(), directory));
        return report;
    }
    return startCanaryBundle(std::move(*loaded), config);
}

ReloadReport PolicyStore::startCanaryBundle(std::shared_ptr<const PolicyBundle> bundle,
                                            const CanaryConfig& config) {
    std::lock_guard reload_lock(reload_mu_);
    ReloadReport report = verify(bundle, "canary");
    report.generation = generation();
    {
        std::lock_guard lock(state_mu_);
        if (report.ok && !current_)
            report.error = PolicyError{"", 0, "no policy serves yet: a canary needs one"};
        if (report.ok && canary_)
            report.error = PolicyError{"", 0, "a canary already runs: promote or abort it"};
        if (report.ok && !report.error) {
            auto state = std::make_shared<CanaryState>();
            state->id = next_canary_id_++;
            state->bundle = bundle;
            state->config = config;
            canary_ = std::move(state);
            version_.fetch_add(1, std::memory_order_release);
        }
    }
    if (report.error) {
        report.ok = false;
        sink_->event("policy.canary.refused",
                     fmt::format("policy.canary.refused {} dir={}", report.error->describe(),
                                 report.directory));
        return report;
    }
    metrics_.canary_started.fetch_add(1, std::memory_order_relaxed);
    sink_->event(
        "policy.canary.started",
        fmt::format("policy.canary.started fingerprint={} dir={} {} max_error_rate={} "
                    "max_reject_rate_increase={} min_requests={}",
                    shortPrint(report.fingerprint), report.directory,
                    config.nas.empty() ? fmt::format("percent={}", config.percent)
                                       : fmt::format("nas={}", config.nas),
                    config.max_error_rate, config.max_reject_rate_increase, config.min_requests));
    return report;
}

bool PolicyStore::endCanary(uint64_t id, CanaryStatus::State state, std::string_view reason) {
    std::shared_ptr<CanaryState> ended;
    {
        std::lock_guard lock(state_mu_);
        if (!canary_ || (id != 0 && canary_->id != id))
            return false;
        ended = std::move(canary_);
        canary_.reset();
        ended->active.store(false, std::memory_order_release);
        last_canary_.state = state;
        last_canary_.id = ended->id;
        last_canary_.fingerprint = ended->bundle->fingerprint();
        last_canary_.directory = ended->bundle->directory();
        last_canary_.config = ended->config;
        last_canary_.current = ended->current.stats();
        last_canary_.candidate = ended->candidate.stats();
        last_canary_.reason = std::string(reason);
        version_.fetch_add(1, std::memory_order_release);
    }
    const auto cand = ended->candidate.stats();
    const auto cur = ended->current.stats();
    const std::string_view name = canaryStateName(state);
    const std::string id_text = fmt::format("policy.canary.{}", name);
    sink_->event(id_text, fmt::format("{} fingerprint={} reason=\"{}\" candidate={}/{}/{}/{} "
                                      "current={}/{}/{}/{} (requests/accepts/rejects/errors)",
                                      id_text, shortPrint(ended->bundle->fingerprint()), reason,
                                      cand.requests, cand.accepts, cand.rejects, cand.errors,
                                      cur.requests, cur.accepts, cur.rejects, cur.errors));
    return true;
}

bool PolicyStore::rollbackCanary(uint64_t id, std::string_view reason) {
    if (!endCanary(id, CanaryStatus::State::kRolledBack, reason))
        return false;
    metrics_.canary_rollbacks.fetch_add(1, std::memory_order_relaxed);
    return true;
}

bool PolicyStore::abortCanary(std::string_view reason) {
    return endCanary(0, CanaryStatus::State::kAborted, reason);
}

void PolicyStore::checkCanary(const std::shared_ptr<CanaryState>& canary) {
    if (!canary || !canary->active.load(std::memory_order_relaxed))
        return;
    auto verdict =
        canaryVerdict(canary->config, canary->current.stats(), canary->candidate.stats());
    if (!verdict)
        return;
    // Only the first worker to see the bound passed reports it; the others carry on.
    if (canary->ending.exchange(true))
        return;
    rollbackCanary(canary->id, *verdict);
}

ReloadReport PolicyStore::promoteCanary() {
    std::shared_ptr<CanaryState> canary;
    {
        std::lock_guard lock(state_mu_);
        canary = canary_;
    }
    if (!canary) {
        ReloadReport report;
        report.trigger = "promote";
        report.generation = generation();
        report.error = PolicyError{"", 0, "no canary runs"};
        return report;
    }
    ReloadReport report = reloadBundle(canary->bundle, "promote");
    if (report.ok) {
        // The publish above already switched workers; this only ends the routing.
        if (endCanary(canary->id, CanaryStatus::State::kPromoted, "promoted"))
            metrics_.canary_promotions.fetch_add(1, std::memory_order_relaxed);
    }
    return report;
}

CanaryStatus PolicyStore::canaryStatus() const {
    std::lock_guard lock(state_mu_);
    if (!canary_)
        return last_canary_;
    CanaryStatus s;
    s.state = CanaryStatus::State::kRunning;
    s.id = canary_->id;
    s.fingerprint = canary_->bundle->fingerprint();
    s.directory = canary_->bundle->directory();
    s.config = canary_->config;
    s.current = canary_->current.stats();
    s.candidate = canary_->candidate.stats();
    return s;
}

}  // namespace gatehouse::policy
