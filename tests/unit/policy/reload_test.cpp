// PolicyStore + WorkerPolicy: a reload is compiled and self-tested first, refused with
// file:line when it fails, and workers switch between two requests without losing any.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/policy/store.hpp"
#include "core/policy/worker_policy.hpp"
#include "tests/unit/policy/policy_fixture.hpp"

namespace gatehouse::policy {
namespace {

using testing::TempDir;

class RecordingSink : public PolicyEventSink {
  public:
    void event(std::string_view id, std::string_view line) override {
        std::lock_guard lock(mu_);
        ids_.emplace_back(id);
        lines_.emplace_back(line);
    }
    std::vector<std::string> ids() const {
        std::lock_guard lock(mu_);
        return ids_;
    }
    std::vector<std::string> lines() const {
        std::lock_guard lock(mu_);
        return lines_;
    }

  private:
    mutable std::mutex mu_;
    std::vector<std::string> ids_;
    std::vector<std::string> lines_;
};

std::string serve(WorkerPolicy& worker, const std::string& user = "alice") {
    auto req = testing::requestFor(user);
    const Decision d = worker.authorize(req->context(radius::Dictionary::builtin()));
    EXPECT_EQ(d.policy_error, "");
    return testing::replyMessage(d);
}

struct StoreFixture : ::testing::Test {
    TempDir dir;
    RecordingSink sink;
    std::unique_ptr<PolicyStore> store;
    void SetUp() override {
        StoreOptions options;
        options.directory = dir.path();
        options.sink = &sink;
        store = std::make_unique<PolicyStore>(radius::Dictionary::builtin(), options);
    }
    void writeGood(const std::string& message) {
        dir.write("default.lua", testing::acceptingPolicy(message));
        dir.write("default.test.lua", testing::acceptingTest(message));
    }
};

TEST_F(StoreFixture, AcceptsAGoodPolicyAsGenerationOne) {
    writeGood("A");
    const ReloadReport r = store->reload("api");
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(r.generation, 1u);
    EXPECT_EQ(r.tests_passed, 1u);
    EXPECT_EQ(r.tests_failed, 0u);
    EXPECT_EQ(r.trigger, "api");
    EXPECT_FALSE(r.fingerprint.empty());
    EXPECT_EQ(store->generation(), 1u);
    EXPECT_EQ(store->metrics().reloads_ok.load(), 1u);
    ASSERT_EQ(sink.ids().size(), 1u);
    EXPECT_EQ(sink.ids()[0], "policy.reload.ok");
    EXPECT_TRUE(sink.lines()[0].starts_with("policy.reload.ok generation=1 ")) << sink.lines()[0];

    WorkerPolicy worker(*store);
    EXPECT_EQ(worker.generation(), 1u);
    EXPECT_EQ(serve(worker), "A");
}

TEST_F(StoreFixture, WorkerWithoutAnyPolicyRejectsWithPolicyError) {
    WorkerPolicy worker(*store);
    auto req = testing::requestFor("alice");
    const Decision d = worker.authorize(req->context(radius::Dictionary::builtin()));
    EXPECT_FALSE(d.accept);
    EXPECT_EQ(d.policy_error, "no policy loaded");
    EXPECT_EQ(worker.host(), nullptr);
}

TEST_F(StoreFixture, RefusesASyntaxErrorWithFileAndLineAndKeepsServing) {
    writeGood("A");
    ASSERT_TRUE(store->reload().ok);
    WorkerPolicy worker(*store);

    dir.write("default.lua", "function authorize(req, sub, nas)\n  local x 1\nend\n");
    const ReloadReport r = store->reload("file");
    EXPECT_FALSE(r.ok);
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->file, "default.lua");
    EXPECT_EQ(r.error->line, 2);
    EXPECT_EQ(r.generation, 1u);  // still serving generation 1
    EXPECT_EQ(store->generation(), 1u);
    EXPECT_EQ(store->metrics().reloads_refused.load(), 1u);
    EXPECT_EQ(sink.ids().back(), "policy.reload.refused");
    EXPECT_NE(sink.lines().back().find("default.lua:2:"), std::string::npos) << sink.lines().back();

    EXPECT_FALSE(worker.refresh());
    EXPECT_EQ(serve(worker), "A");
}

TEST_F(StoreFixture, RefusesAPolicyWhoseOwnTestFailsNamingTheTest) {
    writeGood("A");
    ASSERT_TRUE(store->reload().ok);
    WorkerPolicy worker(*store);

    dir.write("default.lua", testing::acceptingPolicy("BROKEN"));  // test still expects "A"
    const ReloadReport r = store->reload();
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.tests_failed, 1u);
    ASSERT_EQ(r.failed_tests.size(), 1u);
    EXPECT_EQ(r.failed_tests[0].name, "accepts with A");
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->file, "default.test.lua");
    EXPECT_EQ(r.error->line, 5);  // the failing t.eq
    EXPECT_NE(r.error->message.find("test \"accepts with A\" failed"), std::string::npos)
        << r.error->describe();

    EXPECT_FALSE(worker.refresh());
    EXPECT_EQ(serve(worker), "A");
}

TEST_F(StoreFixture, RefusesASyntaxErrorInAModuleNothingRequires) {
    writeGood("A");
    ASSERT_TRUE(store->reload().ok);
    dir.write("lib/unused.lua", "local M = {}\nfunction M.f(\nreturn M\n");
    const ReloadReport r = store->reload();
    EXPECT_FALSE(r.ok);
    ASSERT_TRUE(r.error.has_value());
    EXPECT_EQ(r.error->file, "lib/unused.lua");
    EXPECT_EQ(r.error->line, 3);
}

TEST_F(StoreFixture, RefusesAMissingDirectory) {
    StoreOptions options;
    options.directory = dir.path() + "/nope";
    options.sink = &sink;
    PolicyStore missing(radius::Dictionary::builtin(), options);
    const ReloadReport r = missing.reload();
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.error.has_value());
    EXPECT_EQ(missing.generation(), 0u);
}

TEST_F(StoreFixture, WorkerSeesTheNewPolicyOnlyAfterRefresh) {
    writeGood("A");
    ASSERT_TRUE(store->reload().ok);
    WorkerPolicy worker(*store);
    PolicyHost* old_host = worker.host();

    writeGood("B");
    const ReloadReport r = store->reload();
    ASSERT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(r.generation, 2u);
    EXPECT_EQ(serve(worker), "A");  // mid-request nothing moves
    EXPECT_TRUE(worker.refresh());
    EXPECT_NE(worker.host(), old_host);
    EXPECT_EQ(worker.generation(), 2u);
    EXPECT_EQ(serve(worker), "B");
    EXPECT_FALSE(worker.refresh());  // nothing new: one atomic load
}

TEST_F(StoreFixture, ReloadingTheSameFilesPublishesNothing) {
    writeGood("A");
    ASSERT_TRUE(store->reload().ok);
    const uint64_t version = store->version();
    const ReloadReport r = store->reload("sighup");
    EXPECT_TRUE(r.ok);
    EXPECT_TRUE(r.unchanged);
    EXPECT_EQ(r.generation, 1u);
    EXPECT_EQ(store->version(), version);
    EXPECT_EQ(sink.ids().back(), "policy.reload.unchanged");
}

TEST_F(StoreFixture, ReloadBundleFromMemoryVerifiesToo) {
    EXPECT_FALSE(store->reloadBundle(testing::syntaxErrorBundle()).ok);
    EXPECT_FALSE(store->reloadBundle(testing::failingTestBundle()).ok);
    EXPECT_EQ(store->generation(), 0u);
    EXPECT_TRUE(store->reloadBundle(testing::goodBundle("M")).ok);
    EXPECT_EQ(store->generation(), 1u);
}

// The requirement of issue 3: reloads under load lose no request. Worker threads serve a fixed
// number of requests each, refreshing between two requests, while another thread reloads 30
// times cycling a broken policy (syntax error or failing test, alternately), good policy B and
// good policy A. Reload k runs while the workers serve requests (k-1)*step..k*step; a worker
// reaching k*step waits until reload k is done, and reload k+1 starts only once every worker
// has served a request after reload k. So the reloads overlap requests and each worker sees
// each of them, whatever the machine's speed; nothing is asserted about time.
TEST(ReloadUnderLoad, LosesNoRequestAndNeverServesABrokenPolicy) {
    RecordingSink sink;
    StoreOptions options;
    options.sink = &sink;
    PolicyStore store(radius::Dictionary::builtin(), options);
    ASSERT_TRUE(store.reloadBundle(testing::goodBundle("A"), "startup").ok);

    constexpr int kWorkers = 3;
    constexpr int kRequests = 20000;
    constexpr int kReloads = 30;
    constexpr int kStep = kRequests / (kReloads + 1);

    std::atomic<int> reloads_done{0};
    std::array<std::atomic<int>, kWorkers> progress{};            // requests served by each worker
    std::vector<std::map<std::string, uint64_t>> seen(kWorkers);  // message -> requests
    std::vector<std::set<std::pair<uint64_t, std::string>>> gen_msg(kWorkers);
    std::vector<uint64_t> errors(kWorkers, 0);
    std::vector<uint64_t> served(kWorkers, 0);
    std::vector<uint64_t> swaps(kWorkers, 0);

    std::vector<std::thread> workers;
    for (int w = 0; w < kWorkers; ++w) {
        workers.emplace_back([&, w] {
            WorkerPolicy worker(store);
            const auto& dict = radius::Dictionary::builtin();
            auto req = testing::requestFor("user" + std::to_string(w));
            const RequestContext ctx = req->context(dict);
            for (int i = 0; i < kRequests; ++i) {
                if (i > 0 && i % kStep == 0) {
                    const int want = std::min(i / kStep, kReloads);
                    while (reloads_done.load() < want)
                        std::this_thread::yield();
                }
                if (worker.refresh())
                    ++swaps[w];
                const Decision d = worker.authorize(ctx);
                ++served[w];
                progress[w].store(i + 1);
                if (!d.policy_error.empty() || !d.accept) {
                    ++errors[w];
                    continue;
                }
                const std::string msg = testing::replyMessage(d);
                ++seen[w][msg];
                gen_msg[w].emplace(worker.generation(), msg);
            }
        });
    }

    std::map<uint64_t, std::string> published{{1, "A"}};
    int refused = 0;
    std::thread reloader([&] {
        for (int k = 1; k <= kReloads; ++k) {
            for (int w = 0; w < kWorkers; ++w) {
                while (progress[w].load() < (k - 1) * kStep + 1)
                    std::this_thread::yield();
            }
            std::shared_ptr<const PolicyBundle> bundle;
            std::string message;
            switch (k % 3) {
                case 0:
                    bundle = testing::goodBundle("A");
                    message = "A";
                    break;
                case 1:
                    bundle = (k % 2) ? testing::syntaxErrorBundle() : testing::failingTestBundle();
                    break;
                case 2:
                    bundle = testing::goodBundle("B");
                    message = "B";
                    break;
            }
            const ReloadReport r = store.reloadBundle(bundle, "api");
            if (r.ok)
                published[r.generation] = message;
            else
                ++refused;
            reloads_done.store(k);
        }
    });
    reloader.join();
    for (auto& t : workers)
        t.join();

    EXPECT_EQ(refused, kReloads / 3);
    EXPECT_EQ(store.generation(), 1u + kReloads - kReloads / 3);
    EXPECT_EQ(store.metrics().reloads_ok.load(), 1u + kReloads - kReloads / 3);
    EXPECT_EQ(store.metrics().reloads_refused.load(), uint64_t(kReloads / 3));
    for (int w = 0; w < kWorkers; ++w) {
        EXPECT_EQ(served[w], uint64_t(kRequests)) << "worker " << w;
        EXPECT_EQ(errors[w], 0u) << "worker " << w;
        uint64_t total = 0;
        for (const auto& [msg, n] : seen[w])
            total += n;
        EXPECT_EQ(total, uint64_t(kRequests)) << "worker " << w;  // none lost
        EXPECT_GT(seen[w]["A"], 0u) << "worker " << w;
        EXPECT_GT(seen[w]["B"], 0u) << "worker " << w;
        EXPECT_EQ(seen[w].count("BROKEN"), 0u) << "worker " << w;
        EXPECT_EQ(seen[w].size(), 2u) << "worker " << w;
        // One swap per published policy: none skipped, none for a refused one.
        EXPECT_EQ(swaps[w], uint64_t(kReloads - kReloads / 3)) << "worker " << w;
        // Every decision came from the generation the worker said it ran.
        for (const auto& [gen, msg] : gen_msg[w]) {
            ASSERT_TRUE(published.count(gen)) << "generation " << gen << " never published";
            EXPECT_EQ(published[gen], msg) << "generation " << gen;
        }
    }
}

}  // namespace
}  // namespace gatehouse::policy
