// Every Access-Reject is logged with its reason, at most 10 lines a second per worker thread;
// the next line after a full second says how many were left out.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "core/policy/worker_policy.hpp"
#include "core/process/access.hpp"
#include "tests/unit/process/fixture.hpp"

namespace gatehouse::process {
namespace {

using namespace testing;

class RejectLogTest : public ::testing::Test {
  protected:
    RejectLogTest()
        : store_(policyStore()),
          worker_policy_(*store_),
          unknown_nas_([](std::string_view) {}),
          pipeline_(
              WorkerEnv{radius::Dictionary::builtin(), worker_policy_, counters_, unknown_nas_}),
          snapshot_(smallSnapshot()) {}

    void send(const Bytes& request, int64_t at_ms) {
        Datagram d{request, kStrictNas, 40000};
        pipeline_.handle(d, *snapshot_, Now{at_ms, 1700000000}, reply_);
    }

    static std::vector<std::string> lines(const std::string& text) {
        std::vector<std::string> out;
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);)
            out.push_back(line);
        return out;
    }

    std::unique_ptr<policy::PolicyStore> store_;
    policy::WorkerPolicy worker_policy_;
    Counters counters_;
    UnknownNasLog unknown_nas_;
    AccessPipeline pipeline_;
    std::shared_ptr<const store::Snapshot> snapshot_;
    std::array<uint8_t, radius::kMaxPacketLength> reply_{};
};

// The clock is far past any other test's, so this thread's window starts afresh.
constexpr int64_t kT0 = 1'000'000'000;

TEST_F(RejectLogTest, EachRejectIsLoggedWithItsReasonUser) {
    ::testing::internal::CaptureStderr();
    send(build(pap("blocked", "wonderland")), kT0);
    send(build(pap("alice", "looking-glass")), kT0 + 1);
    send(build(pap("mallory", "x")), kT0 + 2);
    const std::vector<std::string> got = lines(::testing::internal::GetCapturedStderr());
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0],
              "radius.reject nas=10.0.0.1 user=\"blocked\" reason=\"account disabled\" "
              "suppressed=0");
    EXPECT_EQ(got[1],
              "radius.reject nas=10.0.0.1 user=\"alice\" reason=\"bad password\" "
              "suppressed=0");
    EXPECT_EQ(got[2],
              "radius.reject nas=10.0.0.1 user=\"mallory\" reason=\"unknown user\" "
              "suppressed=0");
}

TEST_F(RejectLogTest, AtMostTenLinesASecondThenTheNextSaysHowManyWereLeftOut) {
    // A fresh Request Authenticator each time: a new request, not a duplicate.
    ::testing::internal::CaptureStderr();
    for (int i = 0; i < 13; ++i)
        send(build(pap("blocked", "wonderland")), 2 * kT0 + i);
    send(build(pap("blocked", "wonderland")), 2 * kT0 + 1000);
    const std::vector<std::string> got = lines(::testing::internal::GetCapturedStderr());
    ASSERT_EQ(got.size(), 11u);
    EXPECT_EQ(got[9],
              "radius.reject nas=10.0.0.1 user=\"blocked\" reason=\"account disabled\" "
              "suppressed=0");
    EXPECT_EQ(got[10],
              "radius.reject nas=10.0.0.1 user=\"blocked\" reason=\"account disabled\" "
              "suppressed=3");
    EXPECT_EQ(counters_.policyRejects("account disabled"), 14u);
}

TEST_F(RejectLogTest, UserNameFromTheWireIsKeptOnOnePrintableLine) {
    ::testing::internal::CaptureStderr();
    send(build(pap("eve\n\"x", "wonderland")), 3 * kT0);
    const std::vector<std::string> got = lines(::testing::internal::GetCapturedStderr());
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0],
              "radius.reject nas=10.0.0.1 user=\"eve??x\" reason=\"unknown user\" "
              "suppressed=0");
}

}  // namespace
}  // namespace gatehouse::process
