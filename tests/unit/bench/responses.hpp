#pragma once
// Test helper: answers a request the way a server would, with the project's PacketWriter.
#include <array>
#include <cstdint>

#include "core/crypto/md5.hpp"
#include "core/radius/types.hpp"
#include "core/radius/writer.hpp"
#include "core/util/bytes.hpp"

namespace gatehouse::bench::testing {

inline Bytes makeResponse(ByteSpan request, radius::Code code, const crypto::SharedSecret& secret,
                          bool message_authenticator = true, uint8_t id_delta = 0) {
    std::array<uint8_t, radius::kMaxPacketLength> buf{};
    radius::PacketWriter w(buf);
    w.begin(code, static_cast<uint8_t>(request[1] + id_delta));
    if (message_authenticator)
        w.addMessageAuthenticator();
    auto done = w.finishResponse(secret, request.data() + 4);
    if (!done)
        return {};
    return Bytes(done->begin(), done->end());
}

}  // namespace gatehouse::bench::testing
