#pragma once
// `gatehouse serve --seed FILE.json`: a snapshot from a JSON file instead of PostgreSQL, for
// tests and benchmarks (and until the store's loader is wired in). Format in docs/server.md:
//   {"settings": {...}, "services": {"basic": {...}},
//    "nas": [{"ip": "127.0.0.1", "secret": "testing123", "type": "mikrotik",
//             "require_message_authenticator": true, "limit_proxy_state": true}],
//    "subscribers": [{"username": "alice", "password": "x", "service": "basic", ...}],
//    "generate": {"count": 10000, "username": "user%06d", "password": "pass%06d",
//                 "service": "basic"}}
// Subscriber, service, NAS and settings objects take the fields of `gatehouse policy eval`
// (core/policy/request_json.hpp parses them); errors name the field.
#include <memory>
#include <string>
#include <string_view>

#include "core/radius/dictionary.hpp"
#include "core/store/snapshot.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::net {

Expected<std::shared_ptr<const store::Snapshot>, std::string> snapshotFromSeedJson(
    std::string_view text, const radius::Dictionary& dict);
Expected<std::shared_ptr<const store::Snapshot>, std::string> loadSeedFile(
    const std::string& path, const radius::Dictionary& dict);

}  // namespace gatehouse::net
