#include "core/policy/replay.hpp"

#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "core/policy/decision_text.hpp"

namespace gatehouse::policy {

namespace {

std::string optionalText(const std::optional<uint32_t>& v) {
    return v ? std::to_string(*v) : std::string("none");
}

std::string kindText(const Outcome& o) {
    if (o.reason.empty())
        return o.kind;
    return fmt::format("{} (\"{}\")", o.kind, o.reason);
}

bool isAcceptLike(const std::string& kind) {
    return kind == "accept" || kind == "record";
}

// The request's "id" label, read separately so the parser stays about the request.
std::string labelOf(const std::string& line) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("id")) {
        const auto& id = j["id"];
        return id.is_string() ? id.get<std::string>() : id.dump();
    }
    return {};
}

}  // namespace

Outcome outcomeOf(const radius::Dictionary& dict, const Decision& d) {
    Outcome o;
    if (!d.policy_error.empty()) {
        o.kind = "policy_error";
        o.reason = d.policy_error;
        return o;
    }
    o.kind = d.accept ? "accept" : "reject";
    o.reason = d.reason;
    o.reply = replyText(dict, d.reply);
    o.ip = ipRuleText(d.ip);
    o.session_timeout = d.session_timeout;
    o.idle_timeout = d.idle_timeout;
    o.tier = d.tier;
    o.mschap_error = d.mschap_error;
    return o;
}

Outcome outcomeOf(const AccountingDecision& d) {
    Outcome o;
    if (!d.policy_error.empty()) {
        o.kind = "policy_error";
        o.reason = d.policy_error;
        return o;
    }
    o.kind = d.record ? "record" : "discard";
    o.reason = d.reason;
    o.tags = d.tags;
    return o;
}

RequestDiff compareOutcomes(const Outcome& before, const Outcome& after) {
    RequestDiff diff;
    diff.before = before;
    diff.after = after;
    if (before.kind != after.kind || before.reason != after.reason) {
        diff.changes.push_back(
            fmt::format("decision: {} -> {}", kindText(before), kindText(after)));
    }
    // Reply attributes compared per name, values in order: a reordering of different names
    // is no change to a NAS, a change of the values of one name is. Listed by name, so the
    // report does not depend on the order Lua walked the reply table in.
    std::map<std::string, std::pair<std::vector<std::string>, std::vector<std::string>>> by_name;
    for (const auto& [name, value] : before.reply)
        by_name[name].first.push_back(value);
    for (const auto& [name, value] : after.reply)
        by_name[name].second.push_back(value);
    for (const auto& [name, values] : by_name) {
        const auto& [old_values, new_values] = values;
        if (old_values == new_values)
            continue;
        ++diff.attribute_changes;
        if (old_values.size() == 1 && new_values.size() == 1) {
            diff.changes.push_back(
                fmt::format("~ {}: {} -> {}", name, old_values[0], new_values[0]));
            continue;
        }
        for (const auto& v : old_values)
            diff.changes.push_back(fmt::format("- {} = {}", name, v));
        for (const auto& v : new_values)
            diff.changes.push_back(fmt::format("+ {} = {}", name, v));
    }
    if (before.ip != after.ip)
        diff.changes.push_back(fmt::format("ip: {} -> {}", before.ip, after.ip));
    if (before.tier != after.tier)
        diff.changes.push_back(fmt::format("tier: {} -> {}", before.tier, after.tier));
    if (before.session_timeout != after.session_timeout) {
        diff.changes.push_back(fmt::format("session_timeout: {} -> {}",
                                           optionalText(before.session_timeout),
                                           optionalText(after.session_timeout)));
    }
    if (before.idle_timeout != after.idle_timeout) {
        diff.changes.push_back(fmt::format("idle_timeout: {} -> {}",
                                           optionalText(before.idle_timeout),
                                           optionalText(after.idle_timeout)));
    }
    if (before.mschap_error != after.mschap_error) {
        auto code = [](const std::optional<uint16_t>& c) {
            return c ? std::to_string(*c) : std::string("none");
        };
        diff.changes.push_back(fmt::format("mschap_error: {} -> {}", code(before.mschap_error),
                                           code(after.mschap_error)));
    }
    if (before.tags != after.tags) {
        auto joinTags = [](const std::vector<std::string>& tags) {
            std::string s;
            for (const auto& t : tags)
                s += (s.empty() ? "" : ",") + t;
            return s.empty() ? std::string("(none)") : s;
        };
        diff.changes.push_back(
            fmt::format("tags: {} -> {}", joinTags(before.tags), joinTags(after.tags)));
    }
    return diff;
}

void Replayer::add(const JsonRequest& request, size_t line, std::string label) {
    const RequestContext ctx = request.context(dict_);
    Outcome before;
    Outcome after;
    if (request.code == radius::Code::kAccountingRequest) {
        before = outcomeOf(current_.accounting(ctx));
        after = outcomeOf(candidate_.accounting(ctx));
    } else {
        before = outcomeOf(dict_, current_.authorize(ctx));
        after = outcomeOf(dict_, candidate_.authorize(ctx));
    }
    ReplayTotals& t = result_.totals;
    ++t.requests;
    ++result_.requests_per_user[request.user];
    RequestDiff diff = compareOutcomes(before, after);
    if (diff.changes.empty())
        return;
    ++t.changed;
    if (isAcceptLike(before.kind) && !isAcceptLike(after.kind))
        ++t.accept_to_reject;
    if (!isAcceptLike(before.kind) && isAcceptLike(after.kind))
        ++t.reject_to_accept;
    if (after.kind == "policy_error" && before.kind != "policy_error")
        ++t.new_policy_errors;
    t.attribute_changes += diff.attribute_changes;
    if (before.ip != after.ip)
        ++t.ip_changes;
    if (before.tier != after.tier)
        ++t.tier_changes;
    diff.line = line;
    diff.label = std::move(label);
    diff.user = request.user;
    result_.diffs.push_back(std::move(diff));
}

void Replayer::addLines(std::istream& in) {
    std::string text;
    size_t line = 0;
    while (std::getline(in, text)) {
        ++line;
        const auto first = text.find_first_not_of(" \t\r");
        if (first == std::string::npos || text[first] == '#')
            continue;
        auto request = requestFromJsonText(text, dict_);
        if (!request) {
            ++result_.totals.bad_lines;
            result_.errors.push_back(fmt::format("line {}: {}", line, request.error()));
            continue;
        }
        add(**request, line, labelOf(text));
    }
}

std::string replayText(const ReplayResult& result) {
    std::string out;
    std::map<std::string, std::vector<const RequestDiff*>> per_user;
    for (const auto& d : result.diffs)
        per_user[d.user].push_back(&d);
    for (const auto& [user, diffs] : per_user) {
        auto total = result.requests_per_user.find(user);
        out +=
            fmt::format("{} ({} of {} requests changed)\n", user.empty() ? "(no user name)" : user,
                        diffs.size(), total == result.requests_per_user.end() ? 0 : total->second);
        for (const RequestDiff* d : diffs) {
            out += fmt::format("  line {}{}: {} -> {}\n", d->line,
                               d->label.empty() ? "" : " [" + d->label + "]", d->before.kind,
                               d->after.kind);
            for (const auto& c : d->changes)
                out += fmt::format("    {}\n", c);
        }
    }
    for (const auto& e : result.errors)
        out += fmt::format("skipped {}\n", e);
    const ReplayTotals& t = result.totals;
    out += fmt::format(
        "totals: requests {}, changed {}, accept->reject {}, reject->accept {}, new policy "
        "errors {}, attribute changes {}, ip changes {}, tier changes {}, bad lines {}\n",
        t.requests, t.changed, t.accept_to_reject, t.reject_to_accept, t.new_policy_errors,
        t.attribute_changes, t.ip_changes, t.tier_changes, t.bad_lines);
    return out;
}

}  // namespace gatehouse::policy
