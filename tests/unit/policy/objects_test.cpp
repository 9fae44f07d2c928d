// What a policy sees: req by dictionary name with the contract's conversions, sub/service/
// usage/nas/settings read-only, objects dead after their call.
#include <stdexcept>

#include "bindings/object.hpp"
#include "bindings/request.hpp"
#include "tests/unit/policy/engine_fixture.hpp"

namespace gatehouse::policy::enginetest {
namespace {

/// The text of `expr` evaluated in authorize(req, sub, nas) for request `r`.
std::string eval(Request& r, const std::string& expr) {
    auto h = host("function authorize(req, sub, nas)\n  local v = " + expr +
                  "\n  local d = reject(tostring(v))\n  return d\nend\n");
    if (!h) {
        return "(no host)";
    }
    Decision d = h->authorize(r.ctx);
    return d.policy_error.empty() ? d.reason : d.policy_error;
}

TEST(RequestObject, ReadsAttributesByName) {
    auto r = pppoeRequest();
    EXPECT_EQ(eval(*r, "req['User-Name']"), "alice@isp.example");
    EXPECT_EQ(eval(*r, "req:get('NAS-Port-Id')"), "ether2-pppoe");
    EXPECT_EQ(eval(*r, "req['NAS-Port']"), "15728653");
    EXPECT_EQ(eval(*r, "type(req['NAS-Port'])"), "number");
    EXPECT_EQ(eval(*r, "req['Service-Type']"), "Framed-User");  // VALUE name
    EXPECT_EQ(eval(*r, "req['NAS-Port-Type']"), "Ethernet");
    EXPECT_EQ(eval(*r, "req['NAS-IP-Address']"), "10.255.0.1");    // ipaddr as text
    EXPECT_EQ(eval(*r, "req['Framed-IP-Address']"), "nil");        // absent
    EXPECT_EQ(eval(*r, "req['user-name']"), "alice@isp.example");  // names are case-blind
}

TEST(RequestObject, DerivedFields) {
    auto r = pppoeRequest();
    EXPECT_EQ(eval(*r, "req.code"), "Access-Request");
    EXPECT_EQ(eval(*r, "req.auth_method"), "pap");
    EXPECT_EQ(eval(*r, "req.user"), "alice@isp.example");
    EXPECT_EQ(eval(*r, "req.realm"), "isp.example");
    EXPECT_EQ(eval(*r, "req.user_only"), "alice");
    EXPECT_EQ(eval(*r, "req.mac"), "AA:BB:CC:DD:EE:01");
    Request plain({{"User-Name", "bob"}, {"Calling-Station-Id", "10.1.1.1"}});
    EXPECT_EQ(eval(plain, "req.realm"), "");
    EXPECT_EQ(eval(plain, "req.user_only"), "bob");
    EXPECT_EQ(eval(plain, "req.mac"), "10.1.1.1");  // not a MAC: as sent
    Request cisco({{"User-Name", "bob"}, {"Calling-Station-Id", "aabb.ccdd.ee02"}});
    EXPECT_EQ(eval(cisco, "req.mac"), "AA:BB:CC:DD:EE:02");
}

TEST(RequestObject, NormaliseMac) {
    EXPECT_EQ(bindings::normaliseMac("aa:bb:cc:dd:ee:ff"), "AA:BB:CC:DD:EE:FF");
    EXPECT_EQ(bindings::normaliseMac("AABBCCDDEEFF"), "AA:BB:CC:DD:EE:FF");
    EXPECT_EQ(bindings::normaliseMac("aa:bb:cc:dd:ee"), "aa:bb:cc:dd:ee");
    EXPECT_EQ(bindings::normaliseMac("aa:bb:cc:dd:ee:ff:00"), "aa:bb:cc:dd:ee:ff:00");
    EXPECT_EQ(bindings::normaliseMac("zz:bb:cc:dd:ee:ff"), "zz:bb:cc:dd:ee:ff");
}

TEST(RequestObject, AllAndHas) {
    Request r({{"User-Name", "bob"}, {"Class", "one"}, {"Class", "two"}});
    EXPECT_EQ(eval(r, "table.concat(req:all('Class'), ',')"), "one,two");
    EXPECT_EQ(eval(r, "#req:all('Reply-Message')"), "0");
    EXPECT_EQ(eval(r, "req:has('Class')"), "true");
    EXPECT_EQ(eval(r, "req:has('Framed-IP-Address')"), "false");
}

TEST(RequestObject, VendorAndIntegerTypes) {
    Request r({{"User-Name", "bob"},
               {"Acct-Status-Type", "Interim-Update"},
               {"Acct-Input-Octets", "4294967295"},
               {"Event-Timestamp", "1700000000"},
               {"Mikrotik-Realm", "corp"}},
              radius::Code::kAccountingRequest, "none");
    EXPECT_EQ(eval(r, "req.code"), "Accounting-Request");
    EXPECT_EQ(eval(r, "req['Acct-Status-Type']"), "Interim-Update");
    EXPECT_EQ(eval(r, "req['Acct-Input-Octets']"), "4294967295");
    EXPECT_EQ(eval(r, "req['Event-Timestamp']"), "1700000000");
    EXPECT_EQ(eval(r, "req['Mikrotik-Realm']"), "corp");
}

TEST(RequestObject, UnknownAttributeNameRaises) {
    auto r = pppoeRequest();
    EXPECT_EQ(eval(*r, "req['User-Nmae']"),
              "default.lua:2: request: unknown attribute 'User-Nmae'");
    EXPECT_EQ(eval(*r, "req:get('Nope')"), "default.lua:2: req:get: unknown attribute 'Nope'");
    EXPECT_EQ(eval(*r, "req[1]"),
              "default.lua:2: request: attribute name must be a string, got number");
}

TEST(RequestObject, IsReadOnly) {
    auto r = pppoeRequest();
    EXPECT_EQ(eval(*r, "(function() req['User-Name'] = 'x' end)()"),
              "default.lua:2: attempt to set 'User-Name' of a read-only userdata");
}

TEST(RequestObject, StashedObjectsRaiseAfterTheirCall) {
    auto h = host(R"(
local saved_req, saved_sub, saved_nas, saved_svc
function authorize(req, sub, nas)
  if saved_req then
    local which = sub.username
    if which == "req" then return reject(saved_req["User-Name"]) end
    if which == "sub" then return reject(saved_sub.username) end
    if which == "nas" then return reject(saved_nas.name) end
    if which == "svc" then return reject(saved_svc.name) end
  end
  saved_req, saved_sub, saved_nas, saved_svc = req, sub, nas, sub.service
  return accept()
end)");
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    ASSERT_TRUE(h->authorize(r->ctx).accept);
    r->sub.username = "req";
    EXPECT_EQ(h->authorize(r->ctx).policy_error,
              "default.lua:6: request object used after its call ended");
    r->sub.username = "sub";
    EXPECT_EQ(h->authorize(r->ctx).policy_error,
              "default.lua:7: subscriber object used after its call ended");
    r->sub.username = "nas";
    EXPECT_EQ(h->authorize(r->ctx).policy_error,
              "default.lua:8: nas object used after its call ended");
    r->sub.username = "svc";
    EXPECT_EQ(h->authorize(r->ctx).policy_error,
              "default.lua:9: service object used after its call ended");
}

TEST(SubscriberObject, EveryFieldReadable) {
    auto r = pppoeRequest();
    r->sub.enabled = false;
    r->sub.expires_at = 1800000000;
    r->sub.static_ip = "10.9.0.1";
    r->sub.last_ip = "10.9.0.2";
    r->sub.reseller_id = 5;
    r->sub.open_sessions = 1;
    r->sub.current_tier = 2;
    r->sub.extra = {{"Filter-Id", "vip"}};
    EXPECT_EQ(eval(*r, "sub.id"), "42");
    EXPECT_EQ(eval(*r, "sub.username"), "alice@isp.example");
    EXPECT_EQ(eval(*r, "sub.enabled"), "false");
    EXPECT_EQ(eval(*r, "sub.expires_at"), "1800000000");
    EXPECT_EQ(eval(*r, "sub.mac"), "AA:BB:CC:DD:EE:01");
    EXPECT_EQ(eval(*r, "sub.static_ip"), "10.9.0.1");
    EXPECT_EQ(eval(*r, "sub.last_ip"), "10.9.0.2");
    EXPECT_EQ(eval(*r, "sub.reseller_id"), "5");
    EXPECT_EQ(eval(*r, "sub.open_sessions"), "1");
    EXPECT_EQ(eval(*r, "sub.current_tier"), "2");
    EXPECT_EQ(eval(*r, "sub.extra[1].name .. '=' .. sub.extra[1].value"), "Filter-Id=vip");
    EXPECT_EQ(eval(*r, "#sub.extra"), "1");
    r->sub.expires_at.reset();
    EXPECT_EQ(eval(*r, "sub.expires_at"), "nil");
}

TEST(SubscriberObject, UsageTotals) {
    auto r = pppoeRequest();
    EXPECT_EQ(eval(*r, "sub.usage.daily_upload"), "100");
    EXPECT_EQ(eval(*r, "sub.usage.daily_download"), "200");
    EXPECT_EQ(eval(*r, "sub.usage.daily_total"), "300");
    EXPECT_EQ(eval(*r, "sub.usage.monthly_upload"), "1000");
    EXPECT_EQ(eval(*r, "sub.usage.monthly_download"), "2000");
    EXPECT_EQ(eval(*r, "sub.usage.monthly_total"), "3000");
}

TEST(SubscriberObject, ServiceAndFupTiers) {
    auto r = pppoeRequest();
    auto svc = std::make_shared<Service>(*r->sub.service);
    svc->burst_download_bps = 1;
    svc->burst_upload_bps = 2;
    svc->burst_threshold_download_bps = 3;
    svc->burst_threshold_upload_bps = 4;
    svc->burst_time_s = 8;
    svc->priority = 5;
    svc->managed_pool = "mp";
    svc->idle_timeout = 600;
    svc->session_timeout = 7200;
    svc->simultaneous_use = 2;
    svc->filter_id = "home";
    svc->address_list = "home-list";
    r->sub.service = svc;
    const std::pair<const char*, const char*> expected[] = {{"id", "3"},
                                                            {"name", "Home 20M"},
                                                            {"download_bps", "20000000"},
                                                            {"upload_bps", "5000000"},
                                                            {"burst_download_bps", "1"},
                                                            {"burst_upload_bps", "2"},
                                                            {"burst_threshold_download_bps", "3"},
                                                            {"burst_threshold_upload_bps", "4"},
                                                            {"burst_time", "8"},
                                                            {"priority", "5"},
                                                            {"pool_name", "pppoe-pool"},
                                                            {"managed_pool", "mp"},
                                                            {"idle_timeout", "600"},
                                                            {"session_timeout", "7200"},
                                                            {"simultaneous_use", "2"},
                                                            {"filter_id", "home"},
                                                            {"address_list", "home-list"},
                                                            {"fup_counts", "total"}};
    for (const auto& [field, value] : expected) {
        EXPECT_EQ(eval(*r, std::string("sub.service.") + field), value) << field;
    }
    EXPECT_EQ(eval(*r, "#sub.service.fup"), "2");
    EXPECT_EQ(eval(*r, "sub.service.fup[2].name"), "FUP2");
    EXPECT_EQ(eval(*r, "sub.service.fup[1].daily_bytes"), "50000000000");
    EXPECT_EQ(eval(*r, "sub.service.fup[1].monthly_bytes"), "0");
    EXPECT_EQ(eval(*r, "sub.service.fup[1].download_bps"), "10000000");
    EXPECT_EQ(eval(*r, "sub.service.fup[1].upload_bps"), "2000000");
    EXPECT_EQ(eval(*r, "sub.service.fup[1].filter_id"), "fup1");
    EXPECT_EQ(eval(*r,
                   "(function() local n = 0; for _, t in ipairs(sub.service.fup) do n = n + "
                   "t.upload_bps end; return n end)()"),
              "3000000");
    r->sub.service = nullptr;
    EXPECT_EQ(eval(*r, "sub.service"), "nil");
}

TEST(SubscriberObject, UnknownSubscriberIsNil) {
    auto r = pppoeRequest();
    r->ctx.subscriber = nullptr;
    EXPECT_EQ(eval(*r, "sub"), "nil");
}

TEST(SubscriberObject, ReadOnlyAndTypoSafe) {
    auto r = pppoeRequest();
    EXPECT_EQ(eval(*r, "(function() sub.enabled = true end)()"),
              "default.lua:2: attempt to set 'enabled' of a read-only userdata");
    EXPECT_EQ(eval(*r, "sub.usrname"), "default.lua:2: subscriber has no field 'usrname'");
    EXPECT_EQ(eval(*r, "sub.service.speed"), "default.lua:2: service has no field 'speed'");
    EXPECT_EQ(eval(*r, "(function() sub.service.fup[3] = {} end)()"),
              "default.lua:2: attempt to modify a read-only table");
    EXPECT_EQ(eval(*r, "nas.vendor"), "default.lua:2: nas has no field 'vendor'");
    EXPECT_EQ(eval(*r, "tostring(sub) .. ' ' .. tostring(nas) .. ' ' .. tostring(req)"),
              "subscriber nas request");
}

TEST(NasObject, EveryFieldReadable) {
    auto r = pppoeRequest();
    r->nas.realms = {"isp.example", "corp"};
    r->nas.coa_port = 1700;
    EXPECT_EQ(eval(*r, "nas.id"), "1");
    EXPECT_EQ(eval(*r, "nas.name"), "mt-core-1");
    EXPECT_EQ(eval(*r, "nas.ip"), "10.255.0.1");
    EXPECT_EQ(eval(*r, "nas.type"), "mikrotik");
    EXPECT_EQ(eval(*r, "table.concat(nas.realms, ',')"), "isp.example,corp");
    EXPECT_EQ(eval(*r, "nas.coa_port"), "1700");
}

TEST(SettingsObject, FieldsExtrasAndNow) {
    auto r = pppoeRequest();
    r->settings.interim_interval = 600;
    r->settings.hard_cut = true;
    r->settings.expired_action = "walled_garden";
    r->settings.grace_days = 3;
    r->settings.walled_garden_pool = "wg";
    r->settings.timezone = "Asia/Dhaka";
    r->settings.extra["support_phone"] = "+880";
    EXPECT_EQ(eval(*r, "settings.interim_interval"), "600");
    EXPECT_EQ(eval(*r, "settings.hard_cut"), "true");
    EXPECT_EQ(eval(*r, "settings.expired_action"), "walled_garden");
    EXPECT_EQ(eval(*r, "settings.grace_days"), "3");
    EXPECT_EQ(eval(*r, "settings.walled_garden_pool"), "wg");
    EXPECT_EQ(eval(*r, "settings.walled_garden_address_list"), "expired");
    EXPECT_EQ(eval(*r, "settings.timezone"), "Asia/Dhaka");
    EXPECT_EQ(eval(*r, "settings.support_phone"), "+880");
    EXPECT_EQ(eval(*r, "settings.not_set"), "nil");
    EXPECT_EQ(eval(*r, "now()"), "1700000000");
    EXPECT_EQ(eval(*r, "(function() settings.hard_cut = false end)()"),
              "default.lua:2: attempt to set 'hard_cut' of a read-only userdata");
}

TEST(LogFunctions, CarryFileAndLine) {
    auto h = host(
        "function authorize(req)\n  log.info('user', req.user, 42, nil, true)\n"
        "  log.warn('odd')\n  local d = accept()\n  return d\nend\n");
    ASSERT_TRUE(h);
    CaptureSink sink;
    h->setLogSink(&sink);
    auto r = pppoeRequest();
    h->authorize(r->ctx);
    ASSERT_EQ(sink.lines.size(), 2u);
    EXPECT_EQ(sink.lines[0], "info default.lua:2 user alice@isp.example 42 nil true");
    EXPECT_EQ(sink.lines[1], "warn default.lua:3 odd");
}

int throwing(lua_State*) {
    throw std::runtime_error("boom from C++");
}

TEST(ExceptionThunk, TurnsCppExceptionIntoLuaErrorKeepingTheMessage) {
    lua_State* L = luaL_newstate();
    lua_pushcfunction(L, bindings::thunk<throwing>);
    EXPECT_EQ(lua_pcall(L, 0, 0, 0), LUA_ERRRUN);
    EXPECT_STREQ(lua_tostring(L, -1), "boom from C++");
    lua_close(L);
}

}  // namespace
}  // namespace gatehouse::policy::enginetest
