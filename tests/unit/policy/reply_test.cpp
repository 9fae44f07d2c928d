// The reply table of accept()/reject() becomes checked wire values; every mistake is a policy
// error naming the attribute and the line of the accept() call.
#include "tests/unit/policy/engine_fixture.hpp"

namespace gatehouse::policy::enginetest {
namespace {

/// Runs `body` (which must `return` a decision) as authorize() on the PPPoE request.
Decision run(const std::string& body) {
    auto h = host("function authorize(req, sub, nas)\n" + body + "\nend\n");
    if (!h) {
        return Decision{false, "(no host)", {}, {}, {}, {}, 0, {}, "(no host)"};
    }
    auto r = pppoeRequest();
    return h->authorize(r->ctx);
}

std::string text(const ReplyAttribute& a) {
    return a.def->name + (a.tag ? ":" + std::to_string(a.tag) : "") + "=" +
           radius::formatValue(dict(), *a.def, a.value);
}

std::vector<std::string> texts(const Decision& d) {
    std::vector<std::string> out;
    for (const auto& a : d.reply) {
        out.push_back(text(a));
    }
    return out;
}

TEST(Reply, ValuesConvertedByDictionaryType) {
    Decision d = run(R"(  local r = accept({
    ["Service-Type"] = "Framed-User",
    ["Framed-Protocol"] = 1,
    ["Framed-IP-Address"] = "10.0.0.5",
    ["Acct-Interim-Interval"] = 300,
    ["Mikrotik-Rate-Limit"] = "2M/4M",
    ["Mikrotik-Address-List"] = "home",
    ["Class"] = "0x01ab",
    ["Filter-Id"] = 42,
  })
  return r)");
    ASSERT_EQ(d.policy_error, "");
    EXPECT_TRUE(d.accept);
    EXPECT_EQ(texts(d),
              (std::vector<std::string>{
                  "Service-Type=Framed-User", "Framed-Protocol=PPP", "Framed-IP-Address=10.0.0.5",
                  "Filter-Id=\"42\"", "Class=0x01ab", "Acct-Interim-Interval=300",
                  "Mikrotik-Rate-Limit=\"2M/4M\"", "Mikrotik-Address-List=\"home\""}));
}

TEST(Reply, ListGivesSeveralAttributesInOrder) {
    Decision d =
        run("  local r = accept({ ['Reply-Message'] = { 'one', 'two', 'three' } })\n"
            "  return r");
    EXPECT_EQ(texts(d), (std::vector<std::string>{"Reply-Message=\"one\"", "Reply-Message=\"two\"",
                                                  "Reply-Message=\"three\""}));
}

TEST(Reply, TaggedAttribute) {
    Decision d =
        run("  local r = accept({ ['ERX-Service-Activate:1'] = 'svc-20M(20000000)' })\n"
            "  return r");
    ASSERT_EQ(d.reply.size(), 1u) << d.policy_error;
    EXPECT_EQ(d.reply[0].def->name, "ERX-Service-Activate");
    EXPECT_EQ(d.reply[0].tag, 1);
    EXPECT_EQ(asChars(d.reply[0].value), "svc-20M(20000000)");
    EXPECT_EQ(
        run("  local r = accept({ ['ERX-Service-Activate:40'] = 'x' })\n  return r").policy_error,
        "default.lua:2: accept: 'ERX-Service-Activate:40': the tag must be 1..31");
    EXPECT_EQ(run("  local r = accept({ ['Filter-Id:1'] = 'x' })\n  return r").policy_error,
              "default.lua:2: accept: 'Filter-Id:1': this attribute takes no tag");
}

TEST(Reply, UnknownAttributeNamesItAndTheAcceptLine) {
    Decision d =
        run("  local x = 1\n  local r = accept({ ['Mikrotik-Rate-Limt'] = '1M/1M' })\n"
            "  return r");
    EXPECT_FALSE(d.accept);
    EXPECT_EQ(d.reason, "policy error");
    EXPECT_EQ(d.policy_error, "default.lua:3: accept: unknown attribute 'Mikrotik-Rate-Limt'");
}

TEST(Reply, BadValuesNameTheAttribute) {
    EXPECT_EQ(
        run("  local r = accept({ ['Framed-IP-Address'] = '10.0.0' })\n  return r").policy_error,
        "default.lua:2: accept: Framed-IP-Address: bad IPv4 '10.0.0'");
    EXPECT_EQ(run("  local r = accept({ ['Session-Timeout'] = -1 })\n  return r").policy_error,
              "default.lua:2: accept: Session-Timeout must be a whole number in 0..4294967295, "
              "got -1");
    EXPECT_EQ(run("  local r = accept({ ['Session-Timeout'] = 1.5 })\n  return r").policy_error,
              "default.lua:2: accept: Session-Timeout must be a whole number in 0..4294967295, "
              "got 1.5");
    EXPECT_EQ(run("  local r = accept({ ['Service-Type'] = 'Framed-Usr' })\n  return r")
                  .policy_error.substr(0, 30),
              "default.lua:2: accept: Service");
    EXPECT_EQ(run("  local r = accept({ ['Filter-Id'] = true })\n  return r").policy_error,
              "default.lua:2: accept: Filter-Id: a value must be a string or a number, got "
              "boolean");
    EXPECT_EQ(run("  local r = accept({ [1] = 'x' })\n  return r").policy_error,
              "default.lua:2: accept: reply keys must be attribute names, got number");
    EXPECT_EQ(run("  local r = accept({ ['Vendor-Specific'] = '0x00' })\n  return r").policy_error,
              "default.lua:2: accept: Vendor-Specific cannot be sent in a reply");
}

TEST(Reply, AcceptOptions) {
    Decision d =
        run("  local r = accept(nil, { ip = { static = '10.0.0.9' }, session_timeout = "
            "3600, idle_timeout = 600, tier = 2 })\n  return r");
    ASSERT_EQ(d.policy_error, "");
    EXPECT_TRUE(d.accept);
    EXPECT_EQ(d.ip.kind, IpRule::kStatic);
    EXPECT_EQ(d.ip.address, "10.0.0.9");
    EXPECT_EQ(d.session_timeout, 3600u);
    EXPECT_EQ(d.idle_timeout, 600u);
    EXPECT_EQ(d.tier, 2);

    d = run("  local r = accept({}, { ip = { nas_pool = 'pppoe-pool' } })\n  return r");
    EXPECT_EQ(d.ip.kind, IpRule::kNasPool);
    EXPECT_EQ(d.ip.pool, "pppoe-pool");
    d = run("  local r = accept({}, { ip = { pool = 'managed-1' } })\n  return r");
    EXPECT_EQ(d.ip.kind, IpRule::kManagedPool);
    EXPECT_EQ(d.ip.pool, "managed-1");
    d =
        run("  local r = accept({}, { ip = { pool = 'managed-1', address = '10.1.0.7' } })\n"
            "  return r");
    EXPECT_EQ(d.ip.kind, IpRule::kClaim);
    EXPECT_EQ(d.ip.address, "10.1.0.7");
}

TEST(Reply, BadOptionsAreErrors) {
    EXPECT_EQ(
        run("  local r = accept({}, { ip = { static = '10.0.0' } })\n  return r").policy_error,
        "default.lua:2: accept: ip.static: '10.0.0' is not an IPv4 address");
    EXPECT_EQ(run("  local r = accept({}, { ip = { nas_pol = 'x' } })\n  return r").policy_error,
              "default.lua:2: accept: unknown ip option 'nas_pol' (static, on_conflict, nas_pool, "
              "pool, address)");
    EXPECT_EQ(run("  local r = accept({}, { ip = {} })\n  return r").policy_error,
              "default.lua:2: accept: ip needs one of static, nas_pool, pool");
    EXPECT_EQ(run("  local r = accept({}, { session_timout = 1 })\n  return r").policy_error,
              "default.lua:2: accept: unknown option 'session_timout' (ip, session_timeout, "
              "idle_timeout, tier)");
}

TEST(Reply, StaticConflictPlanIsRead) {
    Decision d =
        run("  local r = accept({}, { ip = { static = '10.1.2.5',"
            " on_conflict = { attempts = 2, subnet = '10.1.2.0/24' } } })\n  return r");
    ASSERT_EQ(d.policy_error, "");
    EXPECT_EQ(d.ip.kind, IpRule::kStatic);
    ASSERT_TRUE(d.ip.on_conflict.has_value());
    EXPECT_EQ(d.ip.on_conflict->attempts, 2);
    EXPECT_EQ(d.ip.on_conflict->subnet, "10.1.2.0/24");
    EXPECT_FALSE(run("  local r = accept({}, { ip = { static = '10.1.2.5' } })\n  return r")
                     .ip.on_conflict.has_value());
}

TEST(Reply, BadStaticConflictPlansAreErrorsNamingTheField) {
    auto error = [](const std::string& plan) {
        return run("  local r = accept({}, { ip = { static = '10.1.2.5', on_conflict = " + plan +
                   " } })\n  return r")
            .policy_error;
    };
    EXPECT_EQ(error("{ attempts = 0 }"),
              "default.lua:2: accept: ip.on_conflict.attempts must be an integer 1..20");
    EXPECT_EQ(error("{ attempts = 2.5 }"),
              "default.lua:2: accept: ip.on_conflict.attempts must be an integer 1..20");
    EXPECT_EQ(error("{ subnet = '10.1.2.0' }"),
              "default.lua:2: accept: ip.on_conflict.subnet: '10.1.2.0' is not an IPv4 prefix "
              "/8../32");
    EXPECT_EQ(error("{ subnet = '10.1.2.0/4' }"),
              "default.lua:2: accept: ip.on_conflict.subnet: '10.1.2.0/4' is not an IPv4 prefix "
              "/8../32");
    EXPECT_EQ(error("{ retries = 3 }"),
              "default.lua:2: accept: unknown ip.on_conflict option 'retries' (attempts, subnet)");
    EXPECT_EQ(run("  local r = accept({}, { ip = { pool = 'p', on_conflict = {} } })\n  return r")
                  .policy_error,
              "default.lua:2: accept: ip.on_conflict goes with ip.static only");
}

TEST(Reply, RejectOptions) {
    Decision d =
        run("  local r = reject('expired', { reply = { ['Reply-Message'] = 'Account "
            "expired' }, mschap_error = 648 })\n  return r");
    ASSERT_EQ(d.policy_error, "");
    EXPECT_FALSE(d.accept);
    EXPECT_EQ(d.reason, "expired");
    EXPECT_EQ(texts(d), std::vector<std::string>{"Reply-Message=\"Account expired\""});
    EXPECT_EQ(d.mschap_error, 648);
    EXPECT_EQ(run("  local r = reject('x', { reply = { ['Framed-IP-Address'] = '10.0.0.1' } })\n"
                  "  return r")
                  .policy_error,
              "default.lua:2: reject: Framed-IP-Address is not allowed in an Access-Reject");
    EXPECT_EQ(run("  local r = reject()\n  return r").policy_error,
              "default.lua:2: reject: the reason must be a string, got no value");
}

TEST(Reply, LastDecisionWins) {
    Decision d =
        run("  local a = accept({ ['Filter-Id'] = 'a' })\n  local r = reject('no')\n"
            "  return r");
    EXPECT_FALSE(d.accept);
    EXPECT_EQ(d.reason, "no");
    EXPECT_TRUE(d.reply.empty());
    d = run("  local a = accept()\n  local r = reject('no')\n  return a");
    EXPECT_EQ(d.policy_error,
              "default.lua:1: authorize() must return accept(...) or reject(...), got table");
}

}  // namespace
}  // namespace gatehouse::policy::enginetest
