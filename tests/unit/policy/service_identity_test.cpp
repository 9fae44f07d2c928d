// service.identity (what policies key their per-service caches on) and the shared empty list:
// the two engine features the shipped policy's fast path relies on for correctness.
#include <memory>
#include <string>

#include "tests/unit/policy/engine_fixture.hpp"

namespace gatehouse::policy::enginetest {
namespace {

/// A policy that rejects with `expr` as the reason, evaluated in authorize().
std::unique_ptr<PolicyHost> reasonHost(const std::string& expr) {
    return host("function authorize(req, sub, nas)\n  local d = reject(tostring(" + expr +
                "))\n  return d\nend\n");
}

std::string run(PolicyHost& h, Request& r) {
    Decision d = h.authorize(r.ctx);
    return d.policy_error.empty() ? d.reason : d.policy_error;
}

TEST(ServiceIdentity, SameObjectKeepsItsNumberAcrossCalls) {
    auto r = pppoeRequest();
    auto h = reasonHost("sub.service.identity");
    ASSERT_TRUE(h);
    std::string first = run(*h, *r);
    EXPECT_NE(first, "nil");
    EXPECT_EQ(run(*h, *r), first);
}

TEST(ServiceIdentity, EditedServiceGetsANewNumber) {
    auto r = pppoeRequest();
    auto h = reasonHost("sub.service.identity");
    ASSERT_TRUE(h);
    std::string before = run(*h, *r);
    // The operator's edit: a new immutable Service replaces the old one, which is freed.
    auto edited = std::make_shared<Service>(*r->sub.service);
    edited->download_bps = 50000000;
    r->sub.service = edited;
    std::string after = run(*h, *r);
    EXPECT_NE(after, before);
    EXPECT_EQ(run(*h, *r), after);
}

TEST(ServiceIdentity, NewServiceAtAReusedAddressGetsANewNumber) {
    auto r = pppoeRequest();
    auto h = reasonHost("sub.service.identity");
    ASSERT_TRUE(h);
    // Allocated apart from its control block (not make_shared), so its memory is freed with
    // the last shared_ptr even though the VM keeps a weak_ptr to it.
    r->sub.service = std::shared_ptr<const Service>(new Service(*r->sub.service));
    std::string seen = run(*h, *r);
    const Service* old_address = r->sub.service.get();
    r->sub.service.reset();
    auto* reused = new Service();  // malloc hands the freed block back at once in practice
    r->sub.service = std::shared_ptr<const Service>(reused);
    if (reused != old_address) {
        GTEST_SKIP() << "the allocator did not reuse the address";
    }
    EXPECT_NE(run(*h, *r), seen);
}

TEST(EmptyList, ListFilledWithRawsetDoesNotReachTheNextCall) {
    auto r = pppoeRequest();
    auto h = host(
        "function authorize(req, sub, nas)\n"
        "  local n = #nas.realms\n"
        "  rawset(nas.realms, 1, 'polluted')\n"
        "  local d = reject(tostring(n))\n"
        "  return d\n"
        "end\n");
    ASSERT_TRUE(h);
    EXPECT_EQ(run(*h, *r), "0");
    EXPECT_EQ(run(*h, *r), "0");
}

TEST(EmptyList, IsReadOnly) {
    auto r = pppoeRequest();
    auto h = reasonHost("pcall(function() sub.extra[1] = 1 end)");
    ASSERT_TRUE(h);
    EXPECT_EQ(run(*h, *r), "false");
}

}  // namespace
}  // namespace gatehouse::policy::enginetest
