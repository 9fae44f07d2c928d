#pragma once
// One request as the policy engine receives it: decoded and authenticated by C++, with the
// subscriber, NAS and settings it concerns. Everything is borrowed for the call only.
#include <cstdint>
#include <string_view>

#include "core/policy/model.hpp"
#include "core/radius/dictionary.hpp"
#include "core/radius/packet.hpp"

namespace gatehouse::policy {

struct RequestContext {
    const radius::Packet* request = nullptr;  // Access-Request or Accounting-Request
    const radius::Dictionary* dict = nullptr;
    /// How C++ checked the credentials: "pap", "chap", "mschapv1", "mschapv2", "none".
    std::string_view auth_method = "none";
    const Subscriber* subscriber = nullptr;  // nullptr: unknown user
    /// The subscriber's sessions and usage now (accounting), overriding the snapshot's
    /// open_sessions / current_tier / usage; nullptr: the snapshot's values stand.
    const LiveCounters* live = nullptr;
    const Nas* nas = nullptr;
    const Settings* settings = nullptr;
    int64_t now = 0;  // unix seconds (from the caller, so tests and replays are repeatable)
};

}  // namespace gatehouse::policy
