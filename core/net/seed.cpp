#include "core/net/seed.hpp"

#include <arpa/inet.h>
#include <fmt/core.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/crypto/mschap.hpp"
#include "core/policy/request_json.hpp"

namespace gatehouse::net {

namespace {

using Json = nlohmann::json;

struct SeedError {
    std::string message;
};

[[noreturn]] void fail(const std::string& field, const std::string& why) {
    throw SeedError{fmt::format("{}: {}", field, why)};
}

// Parses model objects through the policy tooling's parser (one code path for their fields):
// {"subscriber": ..., "nas": ..., "settings": ...} is a valid `policy eval` request.
std::unique_ptr<policy::JsonRequest> parseModel(const Json& wrapper, const std::string& field,
                                                const radius::Dictionary& dict) {
    auto parsed = policy::requestFromJsonText(wrapper.dump(), dict);
    if (!parsed)
        fail(field, parsed.error());
    return std::move(*parsed);
}

std::string text(const Json& v, const std::string& field) {
    if (!v.is_string())
        fail(field, "expected a string");
    return v.get<std::string>();
}

// A pattern with exactly one %d / %Nd / %0Nd, as `gatehouse bench --user-pattern` takes.
std::string formatPattern(const std::string& pattern, uint32_t n, const std::string& field) {
    size_t pct = pattern.find('%');
    if (pct == std::string::npos || pattern.find('%', pct + 1) != std::string::npos)
        fail(field, "expected exactly one %d, %Nd or %0Nd");
    size_t end = pct + 1;
    while (end < pattern.size() && pattern[end] >= '0' && pattern[end] <= '9')
        ++end;
    if (end >= pattern.size() || pattern[end] != 'd' || end - pct > 3)
        fail(field, "expected exactly one %d, %Nd or %0Nd");
    char number[32];
    const std::string spec = pattern.substr(pct, end - pct + 1);
    std::snprintf(number, sizeof(number), spec.c_str(), static_cast<int>(n));
    return pattern.substr(0, pct) + number + pattern.substr(end + 1);
}

void addSubscriber(store::Snapshot& snap, policy::Subscriber sub, std::string password) {
    auto entry = std::make_shared<store::SubscriberEntry>();
    entry->nt_hash = crypto::ntPasswordHash(password);
    entry->password = std::move(password);
    const std::string name = sub.username;
    entry->subscriber = std::make_shared<const policy::Subscriber>(std::move(sub));
    snap.subscribers_[name] = std::move(entry);
}

std::shared_ptr<const store::Snapshot> build(const Json& root, const radius::Dictionary& dict) {
    if (!root.is_object())
        fail("(top level)", "expected an object");
    auto snap = std::make_shared<store::Snapshot>();
    snap->version_ = 1;
    for (auto it = root.begin(); it != root.end(); ++it) {
        const std::string& k = it.key();
        if (k != "settings" && k != "services" && k != "nas" && k != "subscribers" &&
            k != "generate" && k != "comment")
            fail(k, "unknown field");
    }
    if (root.contains("settings")) {
        auto parsed = parseModel(Json{{"settings", root["settings"]}}, "settings", dict);
        snap->settings_ = std::make_shared<const policy::Settings>(parsed->settings);
    }
    const Json services = root.value("services", Json::object());
    if (!services.is_object())
        fail("services", "expected an object of name: service");

    // A subscriber's "service" may name an entry of "services" instead of spelling it out.
    auto resolveService = [&](Json sub, const std::string& field) {
        if (sub.contains("service") && sub["service"].is_string()) {
            const std::string name = sub["service"].get<std::string>();
            if (!services.contains(name))
                fail(field + ".service", fmt::format("no service \"{}\" in services", name));
            Json service = services[name];
            if (!service.contains("name"))
                service["name"] = name;
            sub["service"] = service;
        }
        return sub;
    };

    if (root.contains("nas")) {
        const Json& list = root["nas"];
        if (!list.is_array())
            fail("nas", "expected a list");
        for (size_t i = 0; i < list.size(); ++i) {
            const std::string field = fmt::format("nas[{}]", i);
            Json row = list[i];
            if (!row.is_object())
                fail(field, "expected an object");
            if (!row.contains("secret"))
                fail(field + ".secret", "missing");
            if (!row.contains("ip"))
                fail(field + ".ip", "missing");
            auto entry = std::make_shared<store::NasEntry>();
            entry->secret = std::make_shared<const crypto::SharedSecret>(
                text(row["secret"], field + ".secret"));
            auto flag = [&](const char* name, bool& out) {
                if (!row.contains(name))
                    return;
                if (!row[name].is_boolean())
                    fail(field + "." + name, "expected true or false");
                out = row[name].get<bool>();
                row.erase(name);
            };
            flag("enabled", entry->enabled);
            flag("require_message_authenticator", entry->require_message_authenticator);
            flag("limit_proxy_state", entry->limit_proxy_state);
            // radius-wire.md 7: at least one of the two BlastRADIUS flags must stay on.
            if (!entry->require_message_authenticator && !entry->limit_proxy_state)
                fail(field, "require_message_authenticator and limit_proxy_state are both off");
            row.erase("secret");
            entry->nas = parseModel(Json{{"nas", row}}, field, dict)->nas;
            in_addr addr{};
            if (inet_pton(AF_INET, entry->nas.ip.c_str(), &addr) != 1)
                fail(field + ".ip", "expected an IPv4 address");
            snap->nas_[ntohl(addr.s_addr)] = std::move(entry);
        }
    }
    if (root.contains("subscribers")) {
        const Json& list = root["subscribers"];
        if (!list.is_array())
            fail("subscribers", "expected a list");
        for (size_t i = 0; i < list.size(); ++i) {
            const std::string field = fmt::format("subscribers[{}]", i);
            Json row = list[i];
            if (!row.is_object())
                fail(field, "expected an object");
            if (!row.contains("password"))
                fail(field + ".password", "missing");
            std::string password = text(row["password"], field + ".password");
            row.erase("password");
            auto parsed = parseModel(Json{{"subscriber", resolveService(row, field)}}, field, dict);
            if (!parsed->subscriber || parsed->subscriber->username.empty())
                fail(field + ".username", "missing");
            addSubscriber(*snap, std::move(*parsed->subscriber), std::move(password));
        }
    }
    if (root.contains("generate")) {
        Json gen = root["generate"];
        if (!gen.is_object() || !gen.contains("count") || !gen["count"].is_number_unsigned())
            fail("generate.count", "expected a count");
        const auto count = gen["count"].get<uint32_t>();
        const std::string user_pattern =
            gen.contains("username") ? text(gen["username"], "generate.username") : "user%06d";
        const std::string pass_pattern =
            gen.contains("password") ? text(gen["password"], "generate.password") : "pass%06d";
        Json tmpl = gen.value("subscriber", Json::object());
        if (gen.contains("service"))
            tmpl["service"] = gen["service"];
        tmpl["username"] = "template";
        auto parsed =
            parseModel(Json{{"subscriber", resolveService(tmpl, "generate")}}, "generate", dict);
        for (uint32_t n = 0; n < count; ++n) {
            policy::Subscriber sub = *parsed->subscriber;
            sub.id = n + 1;
            sub.username = formatPattern(user_pattern, n, "generate.username");
            addSubscriber(*snap, std::move(sub),
                          formatPattern(pass_pattern, n, "generate.password"));
        }
    }
    return snap;
}

}  // namespace

Expected<std::shared_ptr<const store::Snapshot>, std::string> snapshotFromSeedJson(
    std::string_view text_in, const radius::Dictionary& dict) {
    try {
        return build(Json::parse(text_in), dict);
    } catch (const Json::exception& e) {
        return unexpected(fmt::format("invalid JSON: {}", e.what()));
    } catch (const SeedError& e) {
        return unexpected(e.message);
    }
}

Expected<std::shared_ptr<const store::Snapshot>, std::string> loadSeedFile(
    const std::string& path, const radius::Dictionary& dict) {
    std::ifstream in(path);
    if (!in)
        return unexpected(fmt::format("{}: cannot open", path));
    std::stringstream ss;
    ss << in.rdbuf();
    auto snap = snapshotFromSeedJson(ss.str(), dict);
    if (!snap)
        return unexpected(fmt::format("{}: {}", path, snap.error()));
    return snap;
}

}  // namespace gatehouse::net
