#pragma once
// A UDP socket on 127.0.0.1 with an ephemeral port, for tests that play one side of RADIUS.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <vector>

namespace gatehouse::testing {

class UdpPeer {
  public:
    UdpPeer() {
        fd_ = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
            throw std::runtime_error("UdpPeer: cannot bind 127.0.0.1");
        }
        socklen_t len = sizeof(a);
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
    }
    ~UdpPeer() { close(fd_); }
    UdpPeer(const UdpPeer&) = delete;
    UdpPeer& operator=(const UdpPeer&) = delete;

    uint16_t port() const { return port_; }

    /// One datagram, or nullopt after timeout_ms. Remembers the sender for reply().
    std::optional<std::vector<uint8_t>> receive(int timeout_ms) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, timeout_ms) != 1)
            return std::nullopt;
        std::vector<uint8_t> buf(65536);
        socklen_t len = sizeof(from_);
        ssize_t n =
            recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from_), &len);
        if (n < 0)
            return std::nullopt;
        buf.resize(static_cast<size_t>(n));
        return buf;
    }

    void reply(const uint8_t* data, size_t len) {
        sendto(fd_, data, len, 0, reinterpret_cast<const sockaddr*>(&from_), sizeof(from_));
    }

  private:
    int fd_ = -1;
    uint16_t port_ = 0;
    sockaddr_in from_{};
};

}  // namespace gatehouse::testing
