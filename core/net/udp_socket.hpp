#pragma once
// Opening the UDP sockets of the server: one per worker and port, all bound to the same
// address and port with SO_REUSEPORT so the kernel spreads NASes over the workers by a hash of
// their address and port (one NAS keeps landing on the same worker: its duplicate cache works).
#include <cstdint>
#include <string>

#include "core/util/expected.hpp"

namespace gatehouse::net {

/// A bound, non-blocking IPv4 UDP socket with SO_REUSEPORT and 4 MiB buffers. `port` 0 picks a
/// free port (read it back with boundPort()).
Expected<int, std::string> openUdpSocket(const std::string& address, uint16_t port);
uint16_t boundPort(int fd);

}  // namespace gatehouse::net
