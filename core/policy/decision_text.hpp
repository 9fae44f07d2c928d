#pragma once
// Decisions as text, for `gatehouse policy eval` and `replay`: reply attributes as
// "Name = value" (value.hpp formatValue, so they read as radclient prints them).
#include <string>
#include <utility>
#include <vector>

#include "core/policy/decision.hpp"
#include "core/radius/dictionary.hpp"

namespace gatehouse::policy {

/// ("Mikrotik-Rate-Limit", "\"10M/20M\""), tagged names as "Tunnel-Type:1", in reply order.
std::vector<std::pair<std::string, std::string>> replyText(
    const radius::Dictionary& dict, const std::vector<ReplyAttribute>& reply);
/// "none", "static 10.0.0.5", "nas_pool pppoe", "managed_pool managed-1", "claim
/// managed-1 10.1.0.7".
std::string ipRuleText(const IpRule& ip);
/// The whole decision, one "key: value" line each, then one "  Name = value" per attribute.
std::string decisionText(const radius::Dictionary& dict, const Decision& d);
std::string accountingText(const AccountingDecision& d);

}  // namespace gatehouse::policy
