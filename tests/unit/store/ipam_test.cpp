// IP address management (issue 6): pool definitions, the atomic sticky claim, release, the
// reconciliation with open sessions, and the proof that concurrent claimers never share an
// address (docs/ipam.md).
#include "core/store/ipam_repository.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/store/migrations.hpp"
#include "core/store/nas_repository.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

constexpr uint32_t ip4(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
    return a << 24 | b << 16 | c << 8 | d;
}

std::string parseError(std::string_view text) {
    auto r = parsePoolRanges(text);
    if (r)
        return "(parsed)";
    EXPECT_EQ(r.error().kind, StoreErrorKind::kInvalid);
    return describe(r.error());
}

// ---- parsing ----------------------------------------------------------------------------

TEST(PoolRanges, CidrGivesUsableHostsWithoutNetworkAndBroadcast) {
    auto r = parsePoolRanges("10.0.0.0/24");
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0], (IpRange{ip4(10, 0, 0, 1), ip4(10, 0, 0, 254)}));
    EXPECT_EQ((*r)[0].size(), 254u);
}

TEST(PoolRanges, Slash30HasTwoHostsSlash31TwoAndSlash32One) {
    EXPECT_EQ(parsePoolRanges("10.0.0.4/30")->at(0), (IpRange{ip4(10, 0, 0, 5), ip4(10, 0, 0, 6)}));
    EXPECT_EQ(parsePoolRanges("10.0.0.4/31")->at(0), (IpRange{ip4(10, 0, 0, 4), ip4(10, 0, 0, 5)}));
    EXPECT_EQ(parsePoolRanges("10.0.0.4/32")->at(0), (IpRange{ip4(10, 0, 0, 4), ip4(10, 0, 0, 4)}));
}

TEST(PoolRanges, RangeIncludesBothEnds) {
    auto r = parsePoolRanges("10.0.0.10-10.0.0.200");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ((*r)[0], (IpRange{ip4(10, 0, 0, 10), ip4(10, 0, 0, 200)}));
    EXPECT_EQ((*r)[0].size(), 191u);
}

TEST(PoolRanges, CommaListOfMixedItemsIsSortedAndSpacesAreIgnored) {
    auto r = parsePoolRanges("10.0.1.10-10.0.1.20, 10.0.0.7 ,192.168.0.0/30");
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->size(), 3u);
    EXPECT_EQ((*r)[0], (IpRange{ip4(10, 0, 0, 7), ip4(10, 0, 0, 7)}));
    EXPECT_EQ((*r)[1], (IpRange{ip4(10, 0, 1, 10), ip4(10, 0, 1, 20)}));
    EXPECT_EQ((*r)[2], (IpRange{ip4(192, 168, 0, 1), ip4(192, 168, 0, 2)}));
    EXPECT_EQ(formatPoolRanges(*r), "10.0.0.7,10.0.1.10-10.0.1.20,192.168.0.1-192.168.0.2");
}

TEST(PoolRanges, AdjacentRangesAreNotAnOverlap) {
    EXPECT_TRUE(parsePoolRanges("10.0.0.1-10.0.0.9,10.0.0.10-10.0.0.20").has_value());
}

TEST(PoolRanges, OverlapInsideTheListIsRefusedNamingBothItems) {
    EXPECT_EQ(parseError("10.0.0.0/24,10.0.0.10-10.0.0.20"),
              "ranges: '10.0.0.10-10.0.0.20' overlaps '10.0.0.0/24'");
    EXPECT_EQ(parseError("10.0.0.5,10.0.0.5"), "ranges: '10.0.0.5' overlaps '10.0.0.5'");
}

TEST(PoolRanges, AtMost65536AddressesPerPool) {
    auto whole = parsePoolRanges("10.0.0.0-10.0.255.255");
    ASSERT_TRUE(whole.has_value());
    EXPECT_EQ((*whole)[0].size(), kMaxPoolAddresses);
    EXPECT_EQ(parseError("10.0.0.0-10.1.0.0"),
              "ranges: 65537 addresses in '10.0.0.0-10.1.0.0'; at most 65536 per pool");
    EXPECT_EQ(parseError("10.0.0.0/15"),
              "ranges: 131070 addresses in '10.0.0.0/15'; at most 65536 per pool");
    EXPECT_EQ(parseError("0.0.0.0/0"),
              "ranges: 4294967294 addresses in '0.0.0.0/0'; at most 65536 per pool");
}

TEST(PoolRanges, BadSyntaxNamesTheFieldAndTheValue) {
    EXPECT_EQ(parseError(""), "ranges: must not be empty");
    EXPECT_EQ(parseError("10.0.0.1,"), "ranges: empty item in '10.0.0.1,'");
    EXPECT_EQ(parseError("pool"), "ranges: invalid IPv4 address 'pool' in 'pool'");
    EXPECT_EQ(parseError("10.0.0.300/24"),
              "ranges: invalid IPv4 address '10.0.0.300' in '10.0.0.300/24'");
    EXPECT_EQ(parseError("10.0.0.0/33"),
              "ranges: invalid prefix length '33' in '10.0.0.0/33' (expected 0..32)");
    EXPECT_EQ(parseError("10.0.0.0/"),
              "ranges: invalid prefix length '' in '10.0.0.0/' (expected 0..32)");
    EXPECT_EQ(parseError("10.0.0.5/24"),
              "ranges: '10.0.0.5/24' has host bits set (did you mean '10.0.0.0/24'?)");
    EXPECT_EQ(parseError("10.0.0.9-10.0.0.1"), "ranges: '10.0.0.9-10.0.0.1' ends before it starts");
    EXPECT_EQ(parseError("10.0.0.1-"), "ranges: invalid IPv4 address '' in '10.0.0.1-'");
    auto named = parsePoolRanges("x", "pool.ranges");
    ASSERT_FALSE(named.has_value());
    EXPECT_EQ(named.error().field, "pool.ranges");
}

// ---- the repository ---------------------------------------------------------------------

class Ipam : public testing::PgTest {
  protected:
    PoolChange add(const std::string& name, const std::string& ranges,
                   const std::string& nas = "") {
        PoolInput in;
        in.name = name;
        in.ranges = ranges;
        in.nas = nas;
        auto r = upsertPool(conn(), in);
        EXPECT_TRUE(r.has_value()) << (r ? "" : describe(r.error()));
        return r ? *r : PoolChange{};
    }
    StoreError addFails(const std::string& name, const std::string& ranges,
                        const std::string& nas = "") {
        PoolInput in;
        in.name = name;
        in.ranges = ranges;
        in.nas = nas;
        auto r = upsertPool(conn(), in);
        EXPECT_FALSE(r.has_value());
        return r ? StoreError{} : r.error();
    }
    std::string claim(const std::string& pool, int64_t sub,
                      std::optional<int64_t> nas = std::nullopt) {
        auto r = claimIp(conn(), pool, sub, nas);
        if (!r)
            return std::string("error: ") + toString(r.error().kind);
        return r->ip;
    }
    /// "status/owner/last owner" of one address; "-" for NULL.
    std::string row(const std::string& ip) {
        auto r =
            sql("SELECT status || '/' || COALESCE(subscriber_id::text, '-') || '/' ||"
                " COALESCE(last_subscriber_id::text, '-') FROM ip_pool_assignments WHERE ip = '" +
                ip + "'");
        return r.empty() ? "absent" : r[0][0].as<std::string>();
    }
    int count(const std::string& query) { return sql(query)[0][0].as<int>(); }
    void openSession(const std::string& id, int64_t subscriber, const std::string& ip,
                     const std::string& started = "now()") {
        sql("INSERT INTO radacct (acctsessionid, acctuniqueid, username, subscriber_id,"
            " nasipaddress, framedipaddress, acctstarttime, acctupdatetime) VALUES ('" +
            id + "', '" + id + "', 'u', " +
            (subscriber == 0 ? "NULL" : std::to_string(subscriber)) + ", '192.0.2.1', '" + ip +
            "', " + started + ", " + started + ")");
    }
    void ageClaims(const std::string& pool) {
        sql("UPDATE ip_pool_assignments SET assigned_at = now() - interval '1 hour'"
            " WHERE pool_name = '" +
            pool + "' AND status = 'in_use'");
    }
};

TEST_F(Ipam, CreatingAPoolWritesOneAvailableRowPerAddress) {
    auto change = add("home", "10.0.0.0/29,10.0.1.5");
    EXPECT_TRUE(change.created);
    EXPECT_EQ(change.size, 7u);
    EXPECT_EQ(change.added, 7u);
    EXPECT_EQ(change.removed, 0u);
    EXPECT_EQ(count("SELECT count(*) FROM ip_pool_assignments WHERE pool_name = 'home'"
                    " AND status = 'available' AND subscriber_id IS NULL"),
              7);
    EXPECT_EQ(row("10.0.0.0"), "absent");  // network
    EXPECT_EQ(row("10.0.0.7"), "absent");  // broadcast
    EXPECT_EQ(row("10.0.0.1"), "available/-/-");
    EXPECT_EQ(sql("SELECT ranges || ' ' || source FROM ip_pools WHERE name = 'home'")[0][0]
                  .as<std::string>(),
              "10.0.0.0/29,10.0.1.5 manual");

    auto same = add("home", "10.0.0.0/29,10.0.1.5");
    EXPECT_FALSE(same.created);
    EXPECT_EQ(same.added, 0u);
    EXPECT_EQ(same.removed, 0u);
    EXPECT_EQ(count("SELECT count(*) FROM ip_pool_assignments"), 7);
}

TEST_F(Ipam, AddressInAnotherPoolIsRefusedNamingIt) {
    add("a", "10.0.0.1-10.0.0.10");
    auto e = addFails("b", "10.0.0.10-10.0.0.20");
    EXPECT_EQ(e.kind, StoreErrorKind::kDuplicate);
    EXPECT_EQ(describe(e), "ranges: '10.0.0.10' is already in pool 'a'");
    EXPECT_EQ(count("SELECT count(*) FROM ip_pools"), 1);
}

TEST_F(Ipam, BadInputIsRefusedNamingTheField) {
    EXPECT_EQ(describe(addFails("", "10.0.0.1")), "name: must not be empty");
    EXPECT_EQ(describe(addFails("my pool", "10.0.0.1")),
              "name: 'my pool' contains a space, comma or control character");
    EXPECT_EQ(describe(addFails("p", "10.0.0.0/15")),
              "ranges: 131070 addresses in '10.0.0.0/15'; at most 65536 per pool");
    auto nas = addFails("p", "10.0.0.1", "nope");
    EXPECT_EQ(nas.kind, StoreErrorKind::kUnknownReference);
    EXPECT_EQ(describe(nas), "nas: no NAS named 'nope'");
    PoolInput in;
    in.name = "p";
    in.ranges = "10.0.0.1";
    in.source = "cisco";
    EXPECT_EQ(describe(upsertPool(conn(), in).error()),
              "source: unknown source 'cisco' (expected manual or mikrotik)");
}

TEST_F(Ipam, ReplacingAddsAndRemovesButNeverRemovesAnAddressInUse) {
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    add("home", "10.0.0.1-10.0.0.4");
    ASSERT_EQ(claim("home", alice), "10.0.0.1");
    sql("UPDATE ip_pool_assignments SET status = 'reserved' WHERE ip = '10.0.0.2'");

    auto change = add("home", "10.0.0.3-10.0.0.6");
    EXPECT_FALSE(change.created);
    EXPECT_EQ(change.size, 4u);
    EXPECT_EQ(change.added, 2u);    // .5 .6
    EXPECT_EQ(change.removed, 1u);  // .2 (reserved, not in use)
    EXPECT_EQ(change.retired_in_use, std::vector<std::string>{"10.0.0.1"});
    EXPECT_EQ(row("10.0.0.1"), "in_use/" + std::to_string(alice) + "/-");
    EXPECT_EQ(row("10.0.0.2"), "absent");

    // Alice keeps her session's address; nobody else is ever given it.
    EXPECT_EQ(claim("home", alice), "10.0.0.1");
    ASSERT_TRUE(releaseIp(conn(), alice, "10.0.0.1").value());
    EXPECT_EQ(row("10.0.0.1"), "absent");  // a retired address leaves once released
    EXPECT_EQ(claim("home", bob), "10.0.0.3");

    auto usage = poolUsage(conn());
    ASSERT_TRUE(usage.has_value());
    ASSERT_EQ(usage->size(), 1u);
    EXPECT_EQ((*usage)[0].size, 4u);
    EXPECT_EQ((*usage)[0].in_use, 1u);
    EXPECT_EQ((*usage)[0].available, 3u);
    EXPECT_EQ((*usage)[0].retiring, 0u);
}

TEST_F(Ipam, WideningAgainTakesARetiredAddressBack) {
    const int64_t alice = insertSubscriber("alice");
    add("home", "10.0.0.1-10.0.0.2");
    ASSERT_EQ(claim("home", alice), "10.0.0.1");
    EXPECT_EQ(add("home", "10.0.0.2").retired_in_use.size(), 1u);
    auto narrowed = showPool(conn(), "home");
    ASSERT_TRUE(narrowed.has_value());
    EXPECT_EQ(narrowed->first.retiring, 1u);
    EXPECT_EQ(narrowed->first.size, 1u);
    auto widened = add("home", "10.0.0.1-10.0.0.2");
    EXPECT_EQ(widened.added, 0u);
    EXPECT_TRUE(widened.retired_in_use.empty());
    ASSERT_TRUE(releaseIp(conn(), alice, "10.0.0.1").value());
    EXPECT_EQ(row("10.0.0.1"), "available/-/" + std::to_string(alice));
}

TEST_F(Ipam, DeleteIsRefusedWhileAnAddressIsInUse) {
    const int64_t alice = insertSubscriber("alice");
    add("home", "10.0.0.1-10.0.0.4");
    ASSERT_EQ(claim("home", alice), "10.0.0.1");
    auto refused = deletePool(conn(), "home");
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().kind, StoreErrorKind::kInUse);
    EXPECT_EQ(describe(refused.error()), "pool: 'home' has 1 address(es) in use (10.0.0.1)");

    ASSERT_TRUE(releaseIp(conn(), alice, "10.0.0.1").value());
    ASSERT_TRUE(deletePool(conn(), "home").has_value());
    EXPECT_EQ(count("SELECT count(*) FROM ip_pool_assignments"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM ip_pools"), 0);
    auto missing = deletePool(conn(), "home");
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().kind, StoreErrorKind::kNotFound);
    EXPECT_EQ(describe(missing.error()), "pool: no pool named 'home'");
}

TEST_F(Ipam, ClaimIsStickyToTheCurrentAddress) {
    const int64_t alice = insertSubscriber("alice");
    add("home", "10.0.0.1-10.0.0.4");
    auto first = claimIp(conn(), "home", alice, std::nullopt);
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->ip, "10.0.0.1");
    EXPECT_EQ(first->source, ClaimSource::kNew);
    auto again = claimIp(conn(), "home", alice, std::nullopt);
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->ip, "10.0.0.1");
    EXPECT_EQ(again->source, ClaimSource::kCurrent);
    EXPECT_EQ(count("SELECT count(*) FROM ip_pool_assignments WHERE status = 'in_use'"), 1);
}

TEST_F(Ipam, ReleasedAddressComesBackToItsLastOwnerAndIsTakenByOthersLast) {
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    const int64_t carol = insertSubscriber("carol");
    add("home", "10.0.0.1-10.0.0.3");
    ASSERT_EQ(claim("home", alice), "10.0.0.1");
    ASSERT_EQ(claim("home", bob), "10.0.0.2");
    ASSERT_TRUE(releaseIp(conn(), bob, "10.0.0.2").value());
    ASSERT_TRUE(releaseIp(conn(), alice, "10.0.0.1").value());
    EXPECT_EQ(row("10.0.0.1"), "available/-/" + std::to_string(alice));

    // Never-used .3 first, then the one released longest ago (bob's .2); alice's .1 stays hers.
    EXPECT_EQ(claim("home", carol), "10.0.0.3");
    auto back = claimIp(conn(), "home", alice, std::nullopt);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->ip, "10.0.0.1");
    EXPECT_EQ(back->source, ClaimSource::kLast);
}

TEST_F(Ipam, LastAddressTakenByAnotherGivesANewOne) {
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    add("home", "10.0.0.1-10.0.0.2");
    ASSERT_EQ(claim("home", alice), "10.0.0.1");
    ASSERT_TRUE(releaseIp(conn(), alice, "10.0.0.1").value());
    ASSERT_EQ(claim("home", bob), "10.0.0.2");
    ASSERT_TRUE(releaseIp(conn(), bob, "10.0.0.2").value());
    ASSERT_EQ(claim("home", bob), "10.0.0.2");  // bob's own last one, not alice's
    const int64_t carol = insertSubscriber("carol");
    EXPECT_EQ(claim("home", carol), "10.0.0.1");
    auto fresh = claimIp(conn(), "home", alice, std::nullopt);
    ASSERT_FALSE(fresh.has_value());
    EXPECT_EQ(fresh.error().kind, ClaimErrorKind::kExhausted);
}

TEST_F(Ipam, AccountingStyleReleaseKeepsTheStickyMemory) {
    const int64_t alice = insertSubscriber("alice");
    add("home", "10.0.0.1-10.0.0.2");
    ASSERT_EQ(claim("home", alice), "10.0.0.1");
    // What AccountingRepository does on Stop (accounting_repository.cpp, kReleaseTail).
    sql("UPDATE ip_pool_assignments SET status = 'available', subscriber_id = NULL,"
        " assigned_at = NULL, updated_at = now() WHERE ip = '10.0.0.1'");
    EXPECT_EQ(row("10.0.0.1"), "available/-/" + std::to_string(alice));
    EXPECT_EQ(count("SELECT count(*) FROM ip_pool_assignments WHERE released_at IS NOT NULL"), 1);
}

TEST_F(Ipam, ExhaustedPoolIsReportedNotShared) {
    const int64_t a = insertSubscriber("a");
    const int64_t b = insertSubscriber("b");
    const int64_t c = insertSubscriber("c");
    add("tiny", "10.0.0.4/30");
    EXPECT_EQ(claim("tiny", a), "10.0.0.5");
    EXPECT_EQ(claim("tiny", b), "10.0.0.6");
    auto r = claimIp(conn(), "tiny", c, std::nullopt);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, ClaimErrorKind::kExhausted);
    EXPECT_EQ(r.error().message, "pool 'tiny': exhausted");
    EXPECT_EQ(count("SELECT count(*) FROM ip_pool_assignments WHERE status = 'in_use'"), 2);
}

TEST_F(Ipam, UnknownPoolIsNotExhaustion) {
    const int64_t a = insertSubscriber("a");
    auto r = claimIp(conn(), "nope", a, std::nullopt);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, ClaimErrorKind::kUnknownPool);
    EXPECT_EQ(r.error().message, "pool 'nope': no such pool");
}

TEST_F(Ipam, PoolWithoutADefinitionStillHandsOutItsRows) {
    const int64_t a = insertSubscriber("a");
    sql("INSERT INTO ip_pool_assignments (pool_name, ip) VALUES ('legacy', '10.5.0.9')");
    EXPECT_EQ(claim("legacy", a), "10.5.0.9");
    auto usage = poolUsage(conn());
    ASSERT_TRUE(usage.has_value());
    ASSERT_EQ(usage->size(), 1u);
    EXPECT_EQ((*usage)[0].name, "legacy");
    EXPECT_EQ((*usage)[0].in_use, 1u);
}

TEST_F(Ipam, PoolBoundToANasServesOnlyThatNas) {
    auto bng1 = addNas(conn(), testing::nasInput("bng1", "192.0.2.1", "s"));
    auto bng2 = addNas(conn(), testing::nasInput("bng2", "192.0.2.2", "s"));
    ASSERT_TRUE(bng1 && bng2);
    const int64_t a = insertSubscriber("a");
    add("bng1-pool", "10.0.0.1-10.0.0.2", "bng1");
    EXPECT_EQ(sql("SELECT count(*) FROM ip_pool_assignments WHERE nas_id = " +
                  std::to_string(*bng1))[0][0]
                  .as<int>(),
              2);
    auto wrong = claimIp(conn(), "bng1-pool", a, *bng2);
    ASSERT_FALSE(wrong.has_value());
    EXPECT_EQ(wrong.error().kind, ClaimErrorKind::kWrongNas);
    EXPECT_EQ(claim("bng1-pool", a, *bng1), "10.0.0.1");
    EXPECT_EQ(claim("bng1-pool", a), "10.0.0.1");  // NAS unknown: not checked
}

TEST_F(Ipam, ClaimSkipsStaticIpsRadreplyAddressesAndForeignSessions) {
    const int64_t a = insertSubscriber("a");
    const int64_t b = insertSubscriber("b");
    const int64_t c = insertSubscriber("c");
    const int64_t d = insertSubscriber("d");
    add("home", "10.0.0.1-10.0.0.4");
    sql("UPDATE subscribers SET static_ip = '10.0.0.1' WHERE id = " + std::to_string(a));
    sql("INSERT INTO radreply (subscriber_id, attribute, value) VALUES (" + std::to_string(b) +
        ", 'Framed-IP-Address', '10.0.0.2')");
    openSession("s-c", c, "10.0.0.3");
    EXPECT_EQ(claim("home", d), "10.0.0.4");
    // Each owner of such an address may still get it from the pool.
    EXPECT_EQ(claim("home", a), "10.0.0.1");
    EXPECT_EQ(claim("home", b), "10.0.0.2");
    EXPECT_EQ(claim("home", c), "10.0.0.3");
}

TEST_F(Ipam, ExactClaimTakesTheNamedAddressOnlyWhenFree) {
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    add("home", "10.0.0.1-10.0.0.4");
    ASSERT_EQ(claim("home", alice), "10.0.0.1");
    auto moved = claimIpExact(conn(), "home", alice, std::nullopt, "10.0.0.3");
    ASSERT_TRUE(moved.has_value());
    EXPECT_EQ(moved->ip, "10.0.0.3");
    EXPECT_EQ(moved->source, ClaimSource::kNew);
    EXPECT_EQ(row("10.0.0.1"), "available/-/" + std::to_string(alice));  // one per pool
    auto again = claimIpExact(conn(), "home", alice, std::nullopt, "10.0.0.3");
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->source, ClaimSource::kCurrent);

    auto taken = claimIpExact(conn(), "home", bob, std::nullopt, "10.0.0.3");
    ASSERT_FALSE(taken.has_value());
    EXPECT_EQ(taken.error().kind, ClaimErrorKind::kNotFree);
    EXPECT_EQ(taken.error().message, "pool 'home': 10.0.0.3 is not free");
    sql("UPDATE subscribers SET static_ip = '10.0.0.4' WHERE id = " + std::to_string(alice));
    EXPECT_EQ(claimIpExact(conn(), "home", bob, std::nullopt, "10.0.0.4").error().kind,
              ClaimErrorKind::kNotFree);
    EXPECT_EQ(claimIpExact(conn(), "home", bob, std::nullopt, "10.0.9.9").error().message,
              "pool 'home': 10.0.9.9 is not in the pool");
    EXPECT_EQ(claimIpExact(conn(), "nope", bob, std::nullopt, "10.0.0.2").error().kind,
              ClaimErrorKind::kUnknownPool);
    EXPECT_EQ(row("10.0.0.3"), "in_use/" + std::to_string(alice) + "/-");
}

TEST_F(Ipam, ReleaseFreesOnlyTheOwnersAddress) {
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    add("home", "10.0.0.1-10.0.0.2");
    ASSERT_EQ(claim("home", alice), "10.0.0.1");
    EXPECT_FALSE(releaseIp(conn(), bob, "10.0.0.1").value());
    EXPECT_EQ(row("10.0.0.1"), "in_use/" + std::to_string(alice) + "/-");
    EXPECT_TRUE(releaseIp(conn(), alice, "10.0.0.1").value());
    EXPECT_EQ(row("10.0.0.1"), "available/-/" + std::to_string(alice));
    EXPECT_FALSE(releaseIp(conn(), alice, "10.0.0.1").value());  // twice: nothing
    auto bad = releaseIp(conn(), alice, "10.0.0.999");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(describe(bad.error()), "ip: invalid IPv4 address '10.0.0.999'");
}

TEST_F(Ipam, ReleaseAllOfASubscriberForAPlanChange) {
    const int64_t alice = insertSubscriber("alice");
    add("home", "10.0.0.1-10.0.0.2");
    add("biz", "10.1.0.1-10.1.0.2");
    ASSERT_EQ(claim("home", alice), "10.0.0.1");
    ASSERT_EQ(claim("biz", alice), "10.1.0.1");
    EXPECT_EQ(releaseSubscriberIps(conn(), alice, "biz").value(), 1u);
    EXPECT_EQ(row("10.0.0.1"), "in_use/" + std::to_string(alice) + "/-");
    ASSERT_EQ(claim("biz", alice), "10.1.0.1");
    EXPECT_EQ(releaseSubscriberIps(conn(), alice).value(), 2u);
    EXPECT_EQ(count("SELECT count(*) FROM ip_pool_assignments WHERE status = 'in_use'"), 0);
}

TEST_F(Ipam, SyncReleasesOldClaimsWithoutSessionAndKeepsFreshOnes) {
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    const int64_t carol = insertSubscriber("carol");
    add("home", "10.0.0.1-10.0.0.4");
    ASSERT_EQ(claim("home", alice), "10.0.0.1");  // will be old, no session: released
    ASSERT_EQ(claim("home", bob), "10.0.0.2");    // old, but online: kept
    ageClaims("home");
    openSession("s-bob", bob, "10.0.0.2");
    ASSERT_EQ(claim("home", carol), "10.0.0.3");  // fresh (Accept sent, Start not yet): kept

    auto changes = syncFromSessions(conn(), std::chrono::minutes(5));
    ASSERT_TRUE(changes.has_value()) << describe(changes.error());
    ASSERT_EQ(changes->size(), 1u);
    EXPECT_EQ((*changes)[0].kind, SyncChange::Kind::kReleased);
    EXPECT_EQ((*changes)[0].ip, "10.0.0.1");
    EXPECT_EQ((*changes)[0].pool, "home");
    EXPECT_EQ((*changes)[0].subscriber_id, alice);
    EXPECT_EQ(row("10.0.0.1"), "available/-/" + std::to_string(alice));
    EXPECT_EQ(row("10.0.0.2"), "in_use/" + std::to_string(bob) + "/-");
    EXPECT_EQ(row("10.0.0.3"), "in_use/" + std::to_string(carol) + "/-");

    auto again = syncFromSessions(conn(), std::chrono::minutes(5));
    ASSERT_TRUE(again.has_value());
    EXPECT_TRUE(again->empty());
}

TEST_F(Ipam, SyncAdoptsAddressesThatOpenSessionsHold) {
    const int64_t alice = insertSubscriber("alice");
    add("home", "10.0.0.1-10.0.0.4");
    openSession("s-alice", alice, "10.0.0.3", "now() - interval '2 hours'");
    openSession("s-anon", 0, "10.0.0.4");
    openSession("s-outside", alice, "172.16.0.1");  // not a pool address: ignored

    auto changes = syncFromSessions(conn(), std::chrono::minutes(5));
    ASSERT_TRUE(changes.has_value()) << describe(changes.error());
    ASSERT_EQ(changes->size(), 2u);
    EXPECT_EQ((*changes)[0].kind, SyncChange::Kind::kAdopted);
    EXPECT_EQ((*changes)[0].ip, "10.0.0.3");
    EXPECT_EQ((*changes)[0].subscriber_id, alice);
    EXPECT_EQ((*changes)[1].kind, SyncChange::Kind::kAdopted);
    EXPECT_EQ((*changes)[1].ip, "10.0.0.4");
    EXPECT_EQ((*changes)[1].subscriber_id, std::nullopt);
    EXPECT_EQ(row("10.0.0.3"), "in_use/" + std::to_string(alice) + "/-");
    EXPECT_EQ(row("10.0.0.4"), "in_use/-/-");
    // Adopted at the session's start: an old claim, released as soon as the session is gone.
    sql("UPDATE radacct SET acctstoptime = now() WHERE acctsessionid = 's-alice'");
    auto after = syncFromSessions(conn(), std::chrono::minutes(5));
    ASSERT_TRUE(after.has_value());
    ASSERT_EQ(after->size(), 1u);
    EXPECT_EQ((*after)[0].kind, SyncChange::Kind::kReleased);
    EXPECT_EQ((*after)[0].ip, "10.0.0.3");
    // Sticky: she gets it back on her next login.
    EXPECT_EQ(claim("home", alice), "10.0.0.3");
}

TEST_F(Ipam, SyncReportsConflictsWithoutChangingThem) {
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    const int64_t carol = insertSubscriber("carol");
    add("home", "10.0.0.1-10.0.0.4");
    ASSERT_EQ(claim("home", alice), "10.0.0.1");  // fresh claim of alice ...
    openSession("s-bob", bob, "10.0.0.1");        // ... while bob's session uses it
    sql("UPDATE ip_pool_assignments SET status = 'reserved' WHERE ip = '10.0.0.2'");
    openSession("s-carol", carol, "10.0.0.2");

    auto changes = syncFromSessions(conn(), std::chrono::minutes(5));
    ASSERT_TRUE(changes.has_value()) << describe(changes.error());
    ASSERT_EQ(changes->size(), 2u);
    EXPECT_EQ((*changes)[0].kind, SyncChange::Kind::kConflict);
    EXPECT_EQ((*changes)[0].ip, "10.0.0.1");
    EXPECT_EQ((*changes)[0].subscriber_id, bob);
    EXPECT_EQ((*changes)[0].reason, "held by subscriber " + std::to_string(alice));
    EXPECT_EQ((*changes)[1].kind, SyncChange::Kind::kConflict);
    EXPECT_EQ((*changes)[1].reason, "reserved");
    EXPECT_EQ(row("10.0.0.1"), "in_use/" + std::to_string(alice) + "/-");
    EXPECT_EQ(row("10.0.0.2"), "reserved/-/-");
}

TEST_F(Ipam, SyncMovesASubscriberWhoseOldAddressIsStale) {
    const int64_t alice = insertSubscriber("alice");
    add("home", "10.0.0.1-10.0.0.4");
    ASSERT_EQ(claim("home", alice), "10.0.0.1");
    ageClaims("home");
    openSession("s-alice", alice, "10.0.0.4");  // the NAS gave her another one
    auto changes = syncFromSessions(conn(), std::chrono::minutes(5));
    ASSERT_TRUE(changes.has_value()) << describe(changes.error());
    ASSERT_EQ(changes->size(), 2u);
    EXPECT_EQ((*changes)[0].kind, SyncChange::Kind::kReleased);
    EXPECT_EQ((*changes)[1].kind, SyncChange::Kind::kAdopted);
    EXPECT_EQ(row("10.0.0.1"), "available/-/" + std::to_string(alice));
    EXPECT_EQ(row("10.0.0.4"), "in_use/" + std::to_string(alice) + "/-");
}

TEST_F(Ipam, ShowListsAddressesAndOwners) {
    const int64_t alice = insertSubscriber("alice");
    add("home", "10.0.0.1-10.0.0.3");
    ASSERT_EQ(claim("home", alice), "10.0.0.1");
    sql("UPDATE ip_pool_assignments SET status = 'reserved' WHERE ip = '10.0.0.3'");
    auto shown = showPool(conn(), "home");
    ASSERT_TRUE(shown.has_value());
    EXPECT_EQ(shown->first.ranges, "10.0.0.1-10.0.0.3");
    EXPECT_EQ(shown->first.size, 3u);
    EXPECT_EQ(shown->first.in_use, 1u);
    EXPECT_EQ(shown->first.available, 1u);
    EXPECT_EQ(shown->first.reserved, 1u);
    ASSERT_EQ(shown->second.size(), 3u);
    EXPECT_EQ(shown->second[0].ip, "10.0.0.1");
    EXPECT_EQ(shown->second[0].status, "in_use");
    EXPECT_EQ(shown->second[0].username, "alice");
    EXPECT_EQ(shown->second[0].assigned_at.size(), 20u);  // 2026-11-21T12:00:00Z
    EXPECT_EQ(shown->second[1].status, "available");
    EXPECT_EQ(shown->second[1].username, "");
    EXPECT_EQ(shown->second[2].status, "reserved");
    EXPECT_FALSE(showPool(conn(), "nope").has_value());
}

class IpamMigration : public testing::PgTest {
  protected:
    IpamMigration() { migrate_ = false; }
};

TEST_F(IpamMigration, PoolsWithoutADefinitionGetOneFromTheirRunsOfAddresses) {
    // The schema as it was before 005, with address rows an older importer wrote.
    sql("CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    for (const auto& m : embeddedMigrations()) {
        if (m.name >= std::string_view("005"))
            break;
        pqxx::work txn(conn());
        txn.exec(std::string(m.sql));
        txn.exec("INSERT INTO schema_migrations (version, name) VALUES (" +
                 std::to_string(std::stoi(std::string(m.name.substr(0, 3)))) + ", " +
                 txn.quote(std::string(m.name)) + ")");
        txn.commit();
    }
    sql("INSERT INTO ip_pool_assignments (pool_name, ip) VALUES ('legacy', '10.5.0.2'),"
        " ('legacy', '10.5.0.1'), ('legacy', '10.5.0.3'), ('legacy', '10.5.0.7'),"
        " ('legacy', '10.5.1.0'), ('other', '10.6.0.1')");

    auto result = migrate(conn());
    EXPECT_NE(std::find(result.applied.begin(), result.applied.end(), "005_ipam.sql"),
              result.applied.end());
    auto rows = sql("SELECT name || ' ' || ranges || ' ' || source FROM ip_pools ORDER BY name");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0][0].as<std::string>(), "legacy 10.5.0.1-10.5.0.3,10.5.0.7,10.5.1.0 manual");
    EXPECT_EQ(rows[1][0].as<std::string>(), "other 10.6.0.1 manual");
}

// ---- concurrency --------------------------------------------------------------------------

TEST_F(Ipam, SimultaneousClaimsGiveDistinctAddressesThenExhaustion) {
    constexpr int kThreads = 16;
    add("race", "10.9.0.1-10.9.0.8");
    std::vector<int64_t> subs;
    for (int i = 0; i < kThreads; ++i)
        subs.push_back(insertSubscriber("race" + std::to_string(i)));
    std::vector<std::unique_ptr<pqxx::connection>> conns;
    for (int i = 0; i < kThreads; ++i)
        conns.push_back(std::make_unique<pqxx::connection>(conninfo()));

    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::string> got(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&, i] {
            ready.fetch_add(1);
            while (!go.load())
                std::this_thread::yield();
            auto r = claimIp(*conns[i], "race", subs[i], std::nullopt);
            got[i] = r ? r->ip : std::string("error: ") + toString(r.error().kind);
        });
    }
    while (ready.load() < kThreads)
        std::this_thread::yield();
    go.store(true);
    for (auto& t : threads)
        t.join();

    std::set<std::string> addresses;
    int exhausted = 0;
    for (const auto& g : got) {
        if (g == "error: exhausted")
            ++exhausted;
        else
            EXPECT_TRUE(addresses.insert(g).second) << "address given twice: " << g;
    }
    EXPECT_EQ(addresses.size(), 8u);
    EXPECT_EQ(exhausted, 8);
}

// THE proof: 16 threads with their own connections claim and release on an 8-address pool.
// A ledger kept in the test (not in PostgreSQL) records who holds what: a claim returning an
// address the ledger says someone else holds would be a collision, whatever the schema says.
TEST_F(Ipam, ConcurrentClaimAndReleaseNeverShareAnAddress) {
    constexpr int kThreads = 16;
    constexpr int kSubsPerThread = 1;      // 16 subscribers for 8 addresses
    constexpr int kCyclesPerThread = 500;  // claim or release steps: 8000 in all
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    add("hammer", "10.9.0.1-10.9.0.8");
    std::vector<std::vector<int64_t>> subs(kThreads);
    for (int t = 0; t < kThreads; ++t)
        for (int s = 0; s < kSubsPerThread; ++s)
            subs[t].push_back(insertSubscriber("h" + std::to_string(t) + "_" + std::to_string(s)));

    std::mutex ledger_mutex;
    std::map<std::string, int64_t> holder;  // ip -> subscriber, as the claims said
    std::vector<std::string> violations;
    std::atomic<uint64_t> claims{0}, exhausted{0}, releases{0}, errors{0};
    std::atomic<int> running{kThreads};

    auto worker = [&](int t) {
        pqxx::connection c(conninfo());
        std::map<int64_t, std::string> held;
        for (int i = 0; i < kCyclesPerThread && std::chrono::steady_clock::now() < deadline; ++i) {
            const int64_t sub = subs[t][i % kSubsPerThread];
            if (auto h = held.find(sub); h != held.end()) {
                {
                    // Out of the ledger before the release: once released, it may be claimed.
                    std::lock_guard lock(ledger_mutex);
                    holder.erase(h->second);
                }
                auto r = releaseIp(c, sub, h->second);
                if (!r || !*r) {
                    std::lock_guard lock(ledger_mutex);
                    violations.push_back("release of " + h->second + " by " + std::to_string(sub) +
                                         " found nothing held");
                }
                held.erase(h);
                releases.fetch_add(1);
                continue;
            }
            auto r = claimIp(c, "hammer", sub, std::nullopt);
            if (!r) {
                if (r.error().kind == ClaimErrorKind::kExhausted) {
                    exhausted.fetch_add(1);
                } else {
                    errors.fetch_add(1);
                    std::lock_guard lock(ledger_mutex);
                    violations.push_back("claim error: " + r.error().message);
                }
                continue;
            }
            claims.fetch_add(1);
            std::lock_guard lock(ledger_mutex);
            auto [it, fresh] = holder.emplace(r->ip, sub);
            if (!fresh)
                violations.push_back(r->ip + " given to " + std::to_string(sub) +
                                     " while held by " + std::to_string(it->second));
            held.emplace(sub, r->ip);
        }
        running.fetch_sub(1);
    };

    // During the run, a checker that does not rely on the unique indexes: per address at most
    // one in_use row and per subscriber at most one address, counted by grouping.
    pqxx::connection checker_conn(conninfo());
    std::atomic<int> checks{0};
    std::string checker_violation;
    std::thread checker([&] {
        while (running.load() > 0) {
            pqxx::read_transaction txn(checker_conn);
            auto r = txn.exec(
                "SELECT (SELECT count(*) FROM (SELECT ip FROM ip_pool_assignments"
                "         WHERE pool_name = 'hammer' AND status = 'in_use'"
                "         GROUP BY ip HAVING count(*) > 1) x),"
                "       (SELECT count(*) FROM (SELECT subscriber_id FROM ip_pool_assignments"
                "         WHERE pool_name = 'hammer' AND status = 'in_use'"
                "         GROUP BY subscriber_id HAVING count(*) > 1) y),"
                "       (SELECT count(*) FROM ip_pool_assignments"
                "         WHERE pool_name = 'hammer' AND status = 'in_use')");
            if (r[0][0].as<int>() != 0 || r[0][1].as<int>() != 0 || r[0][2].as<int>() > 8)
                checker_violation = "snapshot with shared or excess addresses";
            checks.fetch_add(1);
        }
    });

    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back(worker, t);
    for (auto& th : threads)
        th.join();
    checker.join();

    for (const auto& v : violations)
        ADD_FAILURE() << v;
    EXPECT_EQ(checker_violation, "");
    EXPECT_EQ(errors.load(), 0u);
    EXPECT_GT(claims.load(), 0u);
    EXPECT_GT(checks.load(), 0);

    // After: the database holds exactly what the ledger holds, owner for owner; every claim was
    // released or is still held; no subscriber has two addresses.
    auto rows =
        sql("SELECT host(ip), subscriber_id FROM ip_pool_assignments"
            " WHERE pool_name = 'hammer' AND status = 'in_use' ORDER BY ip");
    std::map<std::string, int64_t> in_db;
    std::set<int64_t> owners;
    for (const auto& row : rows) {
        in_db.emplace(row[0].as<std::string>(), row[1].as<int64_t>());
        owners.insert(row[1].as<int64_t>());
    }
    EXPECT_EQ(in_db, holder);
    EXPECT_EQ(owners.size(), in_db.size());
    EXPECT_EQ(claims.load(), releases.load() + holder.size());
    EXPECT_EQ(count("SELECT count(*) FROM ip_pool_assignments WHERE pool_name = 'hammer'"), 8);
    std::printf("hammer: %llu claims, %llu exhausted, %llu releases, %d checker snapshots\n",
                static_cast<unsigned long long>(claims.load()),
                static_cast<unsigned long long>(exhausted.load()),
                static_cast<unsigned long long>(releases.load()), checks.load());
    RecordProperty("claims", static_cast<int>(claims.load()));
    RecordProperty("exhausted", static_cast<int>(exhausted.load()));
}

}  // namespace
}  // namespace gatehouse::store
