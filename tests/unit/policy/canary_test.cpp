// Canary: routing is stable per subscriber (or by NAS), a candidate that errors or rejects too
// much is rolled back by itself after min_requests, a good one survives and can be promoted.
#include <gtest/gtest.h>

#include <mutex>

#include "core/policy/canary.hpp"
#include "core/policy/store.hpp"
#include "core/policy/worker_policy.hpp"
#include "tests/unit/policy/policy_fixture.hpp"

namespace gatehouse::policy {
namespace {

class Sink : public PolicyEventSink {
  public:
    void event(std::string_view id, std::string_view line) override {
        std::lock_guard lock(mu_);
        ids.emplace_back(id);
        lines.emplace_back(line);
    }
    std::mutex mu_;
    std::vector<std::string> ids;
    std::vector<std::string> lines;
};

// Errors for everyone but the test user, so its own tests pass and it goes live.
std::shared_ptr<const PolicyBundle> erroringCandidate() {
    return PolicyBundle::fromFiles(
        {PolicyFile{"default.lua",
                    "function authorize(req, sub, nas)\n"
                    "  if req.user ~= \"test\" then error(\"boom\") end\n"
                    "  return accept({ [\"Reply-Message\"] = \"C\" })\n"
                    "end\n"},
         PolicyFile{"default.test.lua", testing::acceptingTest("C")}},
        EngineConfig{});
}

std::shared_ptr<const PolicyBundle> rejectingCandidate() {
    return PolicyBundle::fromFiles(
        {PolicyFile{"default.lua",
                    "function authorize(req, sub, nas)\n"
                    "  if req.user ~= \"test\" then return reject(\"nope\") end\n"
                    "  return accept({ [\"Reply-Message\"] = \"C\" })\n"
                    "end\n"},
         PolicyFile{"default.test.lua", testing::acceptingTest("C")}},
        EngineConfig{});
}

struct Served {
    int current = 0;    // "A"
    int candidate = 0;  // "C"
    int rejects = 0;
    int errors = 0;
};

Served serveUsers(WorkerPolicy& worker, int users, const std::string& nas = "nas1") {
    Served s;
    const auto& dict = radius::Dictionary::builtin();
    for (int i = 0; i < users; ++i) {
        worker.refresh();
        auto req = testing::requestFor("user" + std::to_string(i), nas);
        const Decision d = worker.authorize(req->context(dict));
        if (!d.policy_error.empty())
            ++s.errors;
        else if (!d.accept)
            ++s.rejects;
        else if (testing::replyMessage(d) == "C")
            ++s.candidate;
        else
            ++s.current;
    }
    return s;
}

struct CanaryFixture : ::testing::Test {
    Sink sink;
    std::unique_ptr<PolicyStore> store;
    void SetUp() override {
        StoreOptions options;
        options.sink = &sink;
        store = std::make_unique<PolicyStore>(radius::Dictionary::builtin(), options);
        ASSERT_TRUE(store->reloadBundle(testing::goodBundle("A"), "startup").ok);
    }
};

TEST(CanaryRouting, PercentageIsStablePerUserAndNearTheShare) {
    CanaryConfig config;
    config.percent = 30;
    const auto& dict = radius::Dictionary::builtin();
    int to_candidate = 0;
    for (int i = 0; i < 2000; ++i) {
        auto req = testing::requestFor("user" + std::to_string(i));
        const bool first = routesToCandidate(config, req->context(dict));
        auto again = testing::requestFor("user" + std::to_string(i), "other-nas");
        EXPECT_EQ(routesToCandidate(config, again->context(dict)), first) << i;
        to_candidate += first;
    }
    // FNV-1a is fixed, so this count is too; the bounds only say it is a 30 % share.
    EXPECT_GT(to_candidate, 500);
    EXPECT_LT(to_candidate, 700);
}

TEST(CanaryRouting, ZeroAndHundredPercentAndNoUserName) {
    const auto& dict = radius::Dictionary::builtin();
    auto req = testing::requestFor("alice");
    CanaryConfig none;
    none.percent = 0;
    CanaryConfig all;
    all.percent = 100;
    EXPECT_FALSE(routesToCandidate(none, req->context(dict)));
    EXPECT_TRUE(routesToCandidate(all, req->context(dict)));
    CanaryConfig half;
    half.percent = 50;
    auto anonymous = requestFromJsonText("{\"request\":{\"NAS-Port\":1}}", dict);
    ASSERT_TRUE(anonymous) << anonymous.error();
    EXPECT_FALSE(routesToCandidate(half, (*anonymous)->context(dict)));
}

TEST(CanaryRouting, ByNasNameOrIp) {
    const auto& dict = radius::Dictionary::builtin();
    CanaryConfig by_name;
    by_name.nas = "bng-7";
    CanaryConfig by_ip;
    by_ip.nas = "10.0.0.1";  // requestFor's NAS IP
    auto on = testing::requestFor("alice", "bng-7");
    auto off = testing::requestFor("alice", "bng-8");
    EXPECT_TRUE(routesToCandidate(by_name, on->context(dict)));
    EXPECT_FALSE(routesToCandidate(by_name, off->context(dict)));
    EXPECT_TRUE(routesToCandidate(by_ip, off->context(dict)));
}

TEST(CanaryVerdict, NeedsMinRequestsThenJudgesErrorAndRejectRates) {
    CanaryConfig c;
    c.min_requests = 10;
    c.max_error_rate = 0.1;
    c.max_reject_rate_increase = 0.2;
    CanarySideStats cur{20, 18, 2, 0};                                  // 10 % rejects
    EXPECT_FALSE(canaryVerdict(c, cur, CanarySideStats{9, 0, 0, 9}));   // too few yet
    EXPECT_FALSE(canaryVerdict(c, cur, CanarySideStats{10, 9, 0, 1}));  // 10 %: not past
    auto errors = canaryVerdict(c, cur, CanarySideStats{10, 8, 0, 2});
    ASSERT_TRUE(errors);
    EXPECT_EQ(*errors, "error rate 0.2000 > 0.1000 (2 policy errors in 10 requests)");
    EXPECT_FALSE(canaryVerdict(c, cur, CanarySideStats{10, 7, 3, 0}));  // +20 %: not past
    auto rejects = canaryVerdict(c, cur, CanarySideStats{10, 6, 4, 0});
    ASSERT_TRUE(rejects);
    EXPECT_EQ(*rejects,
              "reject rate 0.4000 exceeds current 0.1000 by more than 0.2000 (4 rejects in 10 "
              "requests)");
    // The reject rule waits for the current side to have min_requests too.
    EXPECT_FALSE(canaryVerdict(c, CanarySideStats{9, 9, 0, 0}, CanarySideStats{10, 0, 10, 0}));
}

TEST_F(CanaryFixture, ErroringCandidateIsRolledBackAfterMinRequests) {
    CanaryConfig config;
    config.percent = 50;
    config.min_requests = 20;
    config.max_error_rate = 0.1;
    const ReloadReport started = store->startCanaryBundle(erroringCandidate(), config);
    ASSERT_TRUE(started.ok) << started.describe();
    EXPECT_EQ(store->canaryStatus().state, CanaryStatus::State::kRunning);

    WorkerPolicy worker(*store);
    ASSERT_NE(worker.candidateHost(), nullptr);
    const Served s = serveUsers(worker, 1000);
    // Exactly min_requests candidate requests failed; then every request went to A.
    EXPECT_EQ(s.errors, 20);
    EXPECT_EQ(s.candidate, 0);
    EXPECT_EQ(s.current, 980);
    EXPECT_EQ(worker.candidateHost(), nullptr);  // dropped at the next refresh

    const CanaryStatus status = store->canaryStatus();
    EXPECT_EQ(status.state, CanaryStatus::State::kRolledBack);
    EXPECT_EQ(status.candidate.requests, 20u);
    EXPECT_EQ(status.candidate.errors, 20u);
    EXPECT_EQ(status.reason, "error rate 1.0000 > 0.1000 (20 policy errors in 20 requests)");
    EXPECT_EQ(store->metrics().canary_rollbacks.load(), 1u);
    EXPECT_EQ(store->generation(), 1u);  // the current policy never moved
    ASSERT_FALSE(sink.ids.empty());
    EXPECT_EQ(sink.ids.back(), "policy.canary.rolled_back");
    EXPECT_TRUE(sink.lines.back().starts_with("policy.canary.rolled_back fingerprint="))
        << sink.lines.back();
}

TEST_F(CanaryFixture, RejectingCandidateIsRolledBackOnTheRejectRateBound) {
    CanaryConfig config;
    config.percent = 50;
    config.min_requests = 20;
    config.max_reject_rate_increase = 0.1;
    ASSERT_TRUE(store->startCanaryBundle(rejectingCandidate(), config).ok);
    WorkerPolicy worker(*store);
    const Served s = serveUsers(worker, 1000);
    EXPECT_EQ(s.errors, 0);
    EXPECT_GE(s.rejects, 20);  // until the current side also had 20
    EXPECT_EQ(s.rejects + s.current, 1000);
    const CanaryStatus status = store->canaryStatus();
    EXPECT_EQ(status.state, CanaryStatus::State::kRolledBack);
    EXPECT_EQ(status.candidate.rejects, uint64_t(s.rejects));
    EXPECT_GE(status.current.requests, 20u);
    EXPECT_TRUE(status.reason.starts_with("reject rate 1.0000 exceeds current 0.0000"))
        << status.reason;
}

TEST_F(CanaryFixture, GoodCandidateSurvivesAndIsPromoted) {
    CanaryConfig config;
    config.percent = 50;
    config.min_requests = 20;
    ASSERT_TRUE(store->startCanaryBundle(testing::goodBundle("C"), config).ok);
    WorkerPolicy worker(*store);
    const Served s = serveUsers(worker, 1000);
    EXPECT_EQ(s.errors, 0);
    EXPECT_GT(s.candidate, 0);
    EXPECT_GT(s.current, 0);
    EXPECT_EQ(s.candidate + s.current, 1000);
    CanaryStatus status = store->canaryStatus();
    EXPECT_EQ(status.state, CanaryStatus::State::kRunning);
    EXPECT_EQ(status.candidate.requests, uint64_t(s.candidate));
    EXPECT_EQ(status.current.requests, uint64_t(s.current));

    // A second user hashed to each side sees the same side again.
    const Served again = serveUsers(worker, 1000);
    EXPECT_EQ(again.candidate, s.candidate);

    const ReloadReport promoted = store->promoteCanary();
    ASSERT_TRUE(promoted.ok) << promoted.describe();
    EXPECT_EQ(promoted.generation, 2u);
    EXPECT_EQ(promoted.trigger, "promote");
    status = store->canaryStatus();
    EXPECT_EQ(status.state, CanaryStatus::State::kPromoted);
    EXPECT_EQ(store->metrics().canary_promotions.load(), 1u);
    const Served after = serveUsers(worker, 100);
    EXPECT_EQ(after.candidate, 100);  // everyone on C now
    EXPECT_EQ(worker.generation(), 2u);
    EXPECT_EQ(worker.candidateHost(), nullptr);
}

TEST_F(CanaryFixture, NasCanaryServesOnlyThatNas) {
    CanaryConfig config;
    config.nas = "bng-7";
    ASSERT_TRUE(store->startCanaryBundle(testing::goodBundle("C"), config).ok);
    WorkerPolicy worker(*store);
    EXPECT_EQ(serveUsers(worker, 50, "bng-7").candidate, 50);
    EXPECT_EQ(serveUsers(worker, 50, "bng-8").current, 50);
}

TEST_F(CanaryFixture, RefusesABrokenCandidateAndASecondCanary) {
    CanaryConfig config;
    config.percent = 10;
    const ReloadReport broken = store->startCanaryBundle(testing::syntaxErrorBundle(), config);
    EXPECT_FALSE(broken.ok);
    ASSERT_TRUE(broken.error);
    EXPECT_EQ(broken.error->file, "default.lua");
    EXPECT_EQ(broken.error->line, 2);
    EXPECT_EQ(store->canaryStatus().state, CanaryStatus::State::kNone);

    ASSERT_TRUE(store->startCanaryBundle(testing::goodBundle("C"), config).ok);
    const ReloadReport second = store->startCanaryBundle(testing::goodBundle("D"), config);
    EXPECT_FALSE(second.ok);
    EXPECT_EQ(second.error->message, "a canary already runs: promote or abort it");
    EXPECT_TRUE(store->abortCanary("operator"));
    EXPECT_EQ(store->canaryStatus().state, CanaryStatus::State::kAborted);
    EXPECT_EQ(store->canaryStatus().reason, "operator");
    EXPECT_FALSE(store->promoteCanary().ok);
}

TEST_F(CanaryFixture, RollbackRacingWorkersReportsOnce) {
    CanaryConfig config;
    config.percent = 100;
    config.min_requests = 50;
    ASSERT_TRUE(store->startCanaryBundle(erroringCandidate(), config).ok);
    std::vector<std::thread> threads;
    std::atomic<int> errors{0};
    for (int w = 0; w < 3; ++w) {
        threads.emplace_back([&] {
            WorkerPolicy worker(*store);
            errors += serveUsers(worker, 500).errors;
        });
    }
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(store->metrics().canary_rollbacks.load(), 1u);
    EXPECT_GE(errors.load(), 50);
    EXPECT_LT(errors.load(), 1500);
    int reported = 0;
    for (const auto& id : sink.ids)
        reported += id == "policy.canary.rolled_back";
    EXPECT_EQ(reported, 1);
}

}  // namespace
}  // namespace gatehouse::policy
