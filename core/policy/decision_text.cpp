#include "core/policy/decision_text.hpp"

#include <fmt/core.h>

#include "core/radius/value.hpp"

namespace gatehouse::policy {

std::vector<std::pair<std::string, std::string>> replyText(
    const radius::Dictionary& dict, const std::vector<ReplyAttribute>& reply) {
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(reply.size());
    for (const ReplyAttribute& a : reply) {
        if (!a.def) {
            out.emplace_back("?", "0x?");
            continue;
        }
        std::string name = a.tag ? fmt::format("{}:{}", a.def->name, a.tag) : a.def->name;
        out.emplace_back(std::move(name), radius::formatValue(dict, *a.def, a.value));
    }
    return out;
}

std::string ipRuleText(const IpRule& ip) {
    switch (ip.kind) {
        case IpRule::kNone:
            return "none";
        case IpRule::kStatic:
            if (ip.on_conflict)
                return fmt::format(
                    "static {} (on conflict: login {} falls back to {})", ip.address,
                    ip.on_conflict->attempts,
                    ip.on_conflict->subnet.empty() ? "none: reject" : ip.on_conflict->subnet);
            return "static " + ip.address;
        case IpRule::kNasPool:
            return "nas_pool " + ip.pool;
        case IpRule::kManagedPool:
            return "managed_pool " + ip.pool;
        case IpRule::kClaim:
            return "claim " + ip.pool + " " + ip.address;
    }
    return "none";
}

std::string decisionText(const radius::Dictionary& dict, const Decision& d) {
    std::string out = fmt::format("decision: {}\n", d.accept ? "accept" : "reject");
    if (!d.reason.empty())
        out += fmt::format("reason: {}\n", d.reason);
    if (!d.policy_error.empty())
        out += fmt::format("policy_error: {}\n", d.policy_error);
    out += fmt::format("ip: {}\n", ipRuleText(d.ip));
    if (d.session_timeout)
        out += fmt::format("session_timeout: {}\n", *d.session_timeout);
    if (d.idle_timeout)
        out += fmt::format("idle_timeout: {}\n", *d.idle_timeout);
    out += fmt::format("tier: {}\n", d.tier);
    if (d.mschap_error)
        out += fmt::format("mschap_error: {}\n", *d.mschap_error);
    out += fmt::format("reply: {} attribute{}\n", d.reply.size(), d.reply.size() == 1 ? "" : "s");
    for (const auto& [name, value] : replyText(dict, d.reply))
        out += fmt::format("  {} = {}\n", name, value);
    return out;
}

std::string accountingText(const AccountingDecision& d) {
    std::string out = fmt::format("decision: {}\n", d.record ? "record" : "discard");
    if (!d.reason.empty())
        out += fmt::format("reason: {}\n", d.reason);
    if (!d.policy_error.empty())
        out += fmt::format("policy_error: {}\n", d.policy_error);
    std::string tags;
    for (const auto& t : d.tags)
        tags += (tags.empty() ? "" : ", ") + t;
    out += fmt::format("tags: {}\n", tags.empty() ? "(none)" : tags);
    return out;
}

}  // namespace gatehouse::policy
