// The JSON request format of `gatehouse policy eval` / `replay`: every field, and errors that
// name the field.
#include <gtest/gtest.h>

#include "core/policy/request_json.hpp"
#include "core/radius/value.hpp"

namespace gatehouse::policy {
namespace {

const radius::Dictionary& dict() {
    return radius::Dictionary::builtin();
}

std::string errorOf(const std::string& json) {
    auto r = requestFromJsonText(json, dict());
    return r ? std::string("(parsed)") : r.error();
}

TEST(RequestJson, ParsesEveryField) {
    const std::string json = R"({
      "id": "case-1", "comment": "for people",
      "code": "Access-Request", "auth_method": "mschapv2", "now": 1700000000,
      "request": {"User-Name": "alice@isp.net", "NAS-Port": 7,
                  "Calling-Station-Id": "aa-bb-cc-dd-ee-01", "Service-Type": "Framed-User",
                  "Framed-IP-Address": "10.0.0.5", "Class": ["one", "two"],
                  "Tunnel-Type:1": "PPTP"},
      "subscriber": {"id": 42, "username": "alice", "enabled": false, "expires_at": 1800000000,
                     "mac": "AA:BB:CC:DD:EE:01", "static_ip": "10.9.0.1", "last_ip": "10.1.0.7",
                     "reseller_id": 3, "open_sessions": 1, "current_tier": 2,
                     "usage": {"daily_upload": "1G", "daily_download": 2000, "monthly_upload": "1.5G",
                               "monthly_download": "10T"},
                     "extra": [{"name": "Filter-Id", "value": "gold"}, {"name": "Session-Timeout", "value": 60}],
                     "service": {"id": 9, "name": "Home 20M", "download_bps": "20M", "upload_bps": "5M",
                                 "burst_download_bps": "40M", "burst_upload_bps": "10M",
                                 "burst_threshold_download_bps": "15M", "burst_threshold_upload_bps": "4M",
                                 "burst_time": 16, "priority": 8, "pool_name": "pppoe",
                                 "managed_pool": "managed-1", "idle_timeout": 600, "session_timeout": 86400,
                                 "simultaneous_use": 2, "filter_id": "home20", "address_list": "home",
                                 "fup_counts": "download",
                                 "fup": [{"name": "FUP1", "daily_bytes": "5G", "monthly_bytes": 0,
                                          "download_bps": "4M", "upload_bps": "1M", "filter_id": "fup1"}]}},
      "nas": {"id": 5, "name": "bng-1", "ip": "10.0.0.1", "type": "mikrotik",
              "realms": ["isp.net", "corp"], "coa_port": 1700},
      "settings": {"interim_interval": 600, "hard_cut": true, "expired_action": "grace",
                   "grace_days": 3, "walled_garden_pool": "wg", "walled_garden_address_list": "wg-list",
                   "timezone": "Asia/Beirut", "walled_garden_bps": 256000,
                   "extra": {"portal": "https://pay"}}
    })";
    auto parsed = requestFromJsonText(json, dict());
    ASSERT_TRUE(parsed) << parsed.error();
    const JsonRequest& r = **parsed;
    EXPECT_EQ(r.code, radius::Code::kAccessRequest);
    EXPECT_EQ(r.auth_method, "mschapv2");
    EXPECT_EQ(r.now, 1700000000);
    EXPECT_EQ(r.user, "alice");

    // The request went through the codec: look at it as a policy would.
    const radius::Packet& p = r.packet();
    EXPECT_EQ(p.code(), radius::Code::kAccessRequest);
    ASSERT_NE(p.messageAuthenticator(), nullptr);
    const auto* user = p.find(0, 1);
    ASSERT_NE(user, nullptr);
    EXPECT_EQ(p.text(*user), "alice@isp.net");
    EXPECT_EQ(p.count(0, 25), 2u);  // Class twice, in order
    const auto* fip = p.find(0, 8);
    ASSERT_NE(fip, nullptr);
    EXPECT_EQ(radius::formatValue(dict(), *fip->def, p.value(*fip)), "10.0.0.5");
    const auto* st = p.find(0, 6);
    ASSERT_NE(st, nullptr);
    EXPECT_EQ(radius::formatValue(dict(), *st->def, p.value(*st)), "Framed-User");
    const auto* tunnel = p.find(0, 64);
    ASSERT_NE(tunnel, nullptr);
    EXPECT_EQ(p.value(*tunnel)[0], 1);  // the tag octet

    ASSERT_TRUE(r.subscriber);
    const Subscriber& s = *r.subscriber;
    EXPECT_EQ(s.id, 42);
    EXPECT_FALSE(s.enabled);
    EXPECT_EQ(s.expires_at, 1800000000);
    EXPECT_EQ(s.mac, "AA:BB:CC:DD:EE:01");
    EXPECT_EQ(s.static_ip, "10.9.0.1");
    EXPECT_EQ(s.last_ip, "10.1.0.7");
    EXPECT_EQ(s.reseller_id, 3);
    EXPECT_EQ(s.open_sessions, 1u);
    EXPECT_EQ(s.current_tier, 2);
    EXPECT_EQ(s.usage.daily_upload, 1000000000u);
    EXPECT_EQ(s.usage.daily_download, 2000u);
    EXPECT_EQ(s.usage.monthly_upload, 1500000000u);
    EXPECT_EQ(s.usage.monthly_download, 10000000000000u);
    ASSERT_EQ(s.extra.size(), 2u);
    EXPECT_EQ(s.extra[0].name, "Filter-Id");
    EXPECT_EQ(s.extra[0].value, "gold");
    EXPECT_EQ(s.extra[1].value, "60");
    ASSERT_TRUE(s.service);
    const Service& v = *s.service;
    EXPECT_EQ(v.id, 9);
    EXPECT_EQ(v.name, "Home 20M");
    EXPECT_EQ(v.download_bps, 20000000u);
    EXPECT_EQ(v.upload_bps, 5000000u);
    EXPECT_EQ(v.burst_download_bps, 40000000u);
    EXPECT_EQ(v.burst_upload_bps, 10000000u);
    EXPECT_EQ(v.burst_threshold_download_bps, 15000000u);
    EXPECT_EQ(v.burst_threshold_upload_bps, 4000000u);
    EXPECT_EQ(v.burst_time_s, 16u);
    EXPECT_EQ(v.priority, 8u);
    EXPECT_EQ(v.pool_name, "pppoe");
    EXPECT_EQ(v.managed_pool, "managed-1");
    EXPECT_EQ(v.idle_timeout, 600u);
    EXPECT_EQ(v.session_timeout, 86400u);
    EXPECT_EQ(v.simultaneous_use, 2u);
    EXPECT_EQ(v.filter_id, "home20");
    EXPECT_EQ(v.address_list, "home");
    EXPECT_EQ(v.fup_counts, "download");
    ASSERT_EQ(v.fup.size(), 1u);
    EXPECT_EQ(v.fup[0].name, "FUP1");
    EXPECT_EQ(v.fup[0].daily_bytes, 5000000000u);
    EXPECT_EQ(v.fup[0].monthly_bytes, 0u);
    EXPECT_EQ(v.fup[0].download_bps, 4000000u);
    EXPECT_EQ(v.fup[0].upload_bps, 1000000u);
    EXPECT_EQ(v.fup[0].filter_id, "fup1");

    EXPECT_EQ(r.nas.id, 5);
    EXPECT_EQ(r.nas.name, "bng-1");
    EXPECT_EQ(r.nas.ip, "10.0.0.1");
    EXPECT_EQ(r.nas.type, "mikrotik");
    EXPECT_EQ(r.nas.realms, (std::vector<std::string>{"isp.net", "corp"}));
    EXPECT_EQ(r.nas.coa_port, 1700);

    EXPECT_EQ(r.settings.interim_interval, 600u);
    EXPECT_TRUE(r.settings.hard_cut);
    EXPECT_EQ(r.settings.expired_action, "grace");
    EXPECT_EQ(r.settings.grace_days, 3u);
    EXPECT_EQ(r.settings.walled_garden_pool, "wg");
    EXPECT_EQ(r.settings.walled_garden_address_list, "wg-list");
    EXPECT_EQ(r.settings.timezone, "Asia/Beirut");
    EXPECT_EQ(r.settings.extra.at("walled_garden_bps"), "256000");
    EXPECT_EQ(r.settings.extra.at("portal"), "https://pay");

    const RequestContext ctx = r.context(dict());
    EXPECT_EQ(ctx.request, &r.packet());
    EXPECT_EQ(ctx.subscriber, &*r.subscriber);
    EXPECT_EQ(ctx.nas, &r.nas);
    EXPECT_EQ(ctx.settings, &r.settings);
    EXPECT_EQ(ctx.auth_method, "mschapv2");
    EXPECT_EQ(ctx.now, 1700000000);
}

TEST(RequestJson, DefaultsForAnUnknownUserAndAccounting) {
    auto parsed = requestFromJsonText(
        R"({"code": "Accounting-Request", "now": 5, "subscriber": null,
            "request": {"User-Name": "bob", "Acct-Status-Type": "Start"}})",
        dict());
    ASSERT_TRUE(parsed) << parsed.error();
    const JsonRequest& r = **parsed;
    EXPECT_EQ(r.code, radius::Code::kAccountingRequest);
    EXPECT_EQ(r.packet().code(), radius::Code::kAccountingRequest);
    EXPECT_EQ(r.auth_method, "none");
    EXPECT_FALSE(r.subscriber);
    EXPECT_EQ(r.context(dict()).subscriber, nullptr);
    EXPECT_EQ(r.user, "bob");  // from User-Name when there is no subscriber
    EXPECT_EQ(r.nas.type, "generic");
    EXPECT_EQ(r.settings.interim_interval, 300u);
}

TEST(RequestJson, ErrorsNameTheField) {
    EXPECT_EQ(errorOf(R"({"subscriber": {"service": {"download_bps": true}}})"),
              "subscriber.service.download_bps: expected a number or a rate like \"20M\"");
    EXPECT_EQ(errorOf(R"({"subscriber": {"service": {"download_bps": "20X"}}})"),
              "subscriber.service.download_bps: expected a number or a rate like \"20M\", got "
              "\"20X\"");
    EXPECT_EQ(errorOf(R"({"subscriber": {"enabled": "yes"}})"),
              "subscriber.enabled: expected true or false");
    EXPECT_EQ(errorOf(R"({"subscriber": {"usernme": "x"}})"), "subscriber.usernme: unknown field");
    EXPECT_EQ(errorOf(R"({"subscriber": {"service": {"fup": [{"name": 1}]}}})"),
              "subscriber.service.fup[0].name: expected a string");
    EXPECT_EQ(errorOf(R"({"subscriber": {"service": {"priority": 9}}})"),
              "subscriber.service.priority: 9 is out of range 0..8");
    EXPECT_EQ(errorOf(R"({"subscriber": {"extra": [{"value": "x"}]}})"),
              "subscriber.extra[0].name: missing");
    EXPECT_EQ(errorOf(R"({"nas": {"coa_port": 70000}})"),
              "nas.coa_port: 70000 is out of range 1..65535");
    EXPECT_EQ(errorOf(R"({"nas": {"realms": "isp.net"}})"),
              "nas.realms: expected a list of strings");
    EXPECT_EQ(errorOf(R"({"settings": {"expired_action": "ban"}})"),
              "settings.expired_action: expected \"reject\", \"walled_garden\" or \"grace\"");
    EXPECT_EQ(errorOf(R"({"code": "CoA-Request"})"),
              "code: expected \"Access-Request\" or \"Accounting-Request\"");
    EXPECT_EQ(errorOf(R"({"auth_method": "eap"})"),
              "auth_method: expected pap, chap, mschapv1, mschapv2 or none");
    EXPECT_EQ(errorOf(R"({"now": "today"})"), "now: expected a number");
    EXPECT_EQ(errorOf(R"({"colour": 1})"), "colour: unknown field");
    EXPECT_EQ(errorOf(R"({"request": {"User-Nmae": "a"}})"),
              "request.User-Nmae: unknown attribute (not in the dictionary)");
    EXPECT_EQ(errorOf(R"({"request": {"NAS-Port": true}})"),
              "request.NAS-Port: expected a string or an integer");
    EXPECT_EQ(errorOf(R"({"request": {"Class": [1, {}]}})"),
              "request.Class[1]: expected a string or an integer");
    EXPECT_EQ(errorOf(R"({"request": {"Tunnel-Type:40": "PPTP"}})"),
              "request.Tunnel-Type:40: tag after ':' must be 1..31");
    EXPECT_EQ(errorOf("[1]"), "(top level): expected an object");
    // The value's own error from value.hpp, behind the field.
    const std::string bad_ip = errorOf(R"({"request": {"Framed-IP-Address": "10.0.0"}})");
    EXPECT_TRUE(bad_ip.starts_with("request.Framed-IP-Address: ")) << bad_ip;
    const std::string bad_json = errorOf("{\"request\": ");
    EXPECT_TRUE(bad_json.starts_with("invalid JSON: ")) << bad_json;
}

TEST(RequestJson, QuantitiesTakeDecimalSuffixes) {
    EXPECT_EQ(parseQuantity("20M"), 20000000u);
    EXPECT_EQ(parseQuantity("512k"), 512000u);
    EXPECT_EQ(parseQuantity("1.5G"), 1500000000u);
    EXPECT_EQ(parseQuantity("2T"), 2000000000000u);
    EXPECT_EQ(parseQuantity("100"), 100u);
    EXPECT_EQ(parseQuantity(""), std::nullopt);
    EXPECT_EQ(parseQuantity("M"), std::nullopt);
    EXPECT_EQ(parseQuantity("-5M"), std::nullopt);
    EXPECT_EQ(parseQuantity("5 M"), std::nullopt);
    EXPECT_EQ(parseQuantity("1e3"), std::nullopt);
}

}  // namespace
}  // namespace gatehouse::policy
