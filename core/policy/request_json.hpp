#pragma once
// One request as JSON, for `gatehouse policy eval` and `replay` (docs/policy-tooling.md):
//   {"code": "Access-Request", "auth_method": "pap", "now": 1700000000,
//    "request": {"User-Name": "alice", "NAS-Port": 7, "Class": ["a", "b"]},
//    "subscriber": {... model.hpp fields ..., "service": {...}}, "nas": {...}, "settings": {...}}
// The request attributes are encoded into a real datagram with PacketWriter and decoded back,
// so a policy sees exactly what the server would hand it. Every error names its field:
// "subscriber.service.download_bps: expected a number or a rate like \"20M\"".
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/policy/context.hpp"
#include "core/policy/model.hpp"
#include "core/radius/dictionary.hpp"
#include "core/radius/packet.hpp"
#include "core/radius/types.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::policy {

/// A parsed request with everything it points to. Not movable: the Packet points into wire_.
class JsonRequest {
  public:
    JsonRequest() = default;
    JsonRequest(const JsonRequest&) = delete;
    JsonRequest& operator=(const JsonRequest&) = delete;

    radius::Code code = radius::Code::kAccessRequest;
    std::string auth_method = "none";
    std::optional<Subscriber> subscriber;  // nullopt: unknown user ("subscriber" absent/null)
    Nas nas;
    Settings settings;
    int64_t now = 0;
    /// subscriber.username, else User-Name, else "" (replay groups by it).
    std::string user;

    const radius::Packet& packet() const { return packet_; }
    /// Borrows this object: keep it alive while the context is used.
    RequestContext context(const radius::Dictionary& dict) const;

  private:
    friend Expected<std::unique_ptr<JsonRequest>, std::string> requestFromJsonText(
        std::string_view, const radius::Dictionary&);
    std::array<uint8_t, radius::kMaxPacketLength> wire_{};
    radius::Packet packet_;
};

/// Parses one JSON object (one line of a replay file, or a whole eval file).
Expected<std::unique_ptr<JsonRequest>, std::string> requestFromJsonText(
    std::string_view text, const radius::Dictionary& dict);

/// "20M" -> 20000000; "512k", "1.5G", "100" (decimal multiples of 1000, as BNG rate limits);
/// "10T" for byte counts. nullopt on anything else.
std::optional<uint64_t> parseQuantity(std::string_view text);

}  // namespace gatehouse::policy
