// null_responder: a RADIUS server that does nothing but answer, so that `gatehouse bench`
// can be measured on its own. Every Access-Request and Status-Server gets an Access-Accept
// (Message-Authenticator first, correct Response Authenticator), every Accounting-Request an
// Accounting-Response; anything that does not decode is dropped. Request authenticators and
// Message-Authenticators are not checked: that is the server's work, not the bench's.
//
//   null_responder [--address 127.0.0.1] [--port 1812] [--secret testing123] [--threads 1]
//                  [--no-gso]
//
// One SO_REUSEPORT socket per thread, recvmmsg/sendmmsg batches, equal-sized answers to one
// peer sent as one UDP_SEGMENT buffer (--no-gso: one datagram per answer). --port 0 picks a free
// port; the first line on stdout is "listening <address> <port>". Exits on SIGINT/SIGTERM and
// prints its counters to stderr.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/crypto/md5.hpp"
#include "core/radius/dictionary.hpp"
#include "core/radius/packet.hpp"
#include "core/radius/types.hpp"
#include "core/radius/writer.hpp"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103  // linux/udp.h; older libc headers lack it
#endif

namespace {

using namespace gatehouse;
using radius::Code;

constexpr unsigned kBatch = 64;

std::atomic<bool> g_stop{false};
extern "C" void onSignal(int) {
    g_stop.store(true);
}

struct alignas(64) Stats {
    uint64_t answered = 0;
    uint64_t dropped = 0;
};

int openSocket(const sockaddr_in& addr) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    int size = 4 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) != 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
    }
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) != 0) {
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
    }
    // Wake up now and then to notice SIGINT/SIGTERM.
    timeval tv{0, 200000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

// Builds the answer into out; false when the request is to be dropped.
bool answer(const radius::Packet& req, const crypto::SharedSecret& secret,
            std::span<uint8_t, radius::kMaxPacketLength> out, size_t& len) {
    radius::PacketWriter w(out);
    switch (req.code()) {
        case Code::kAccessRequest:
        case Code::kStatusServer:
            w.begin(Code::kAccessAccept, req.id());
            // BlastRADIUS: Message-Authenticator first in every Access-Accept.
            w.addMessageAuthenticator();
            break;
        case Code::kAccountingRequest:
            w.begin(Code::kAccountingResponse, req.id());
            break;
        default:
            return false;
    }
    // RFC 2865 5.33: Proxy-State is copied into the response unchanged and in order.
    for (const radius::AttrRef& a : req.attributes()) {
        if (a.vendor == 0 && a.type == radius::attr::kProxyState) {
            w.add(radius::attr::kProxyState, req.value(a));
        }
    }
    auto done = w.finishResponse(secret, req.authenticator());
    if (!done)
        return false;
    len = done->size();
    return true;
}

// Sends answers[0..m) to their peers. Answers to one peer go in order; with GSO a run of
// equal-sized answers to one peer is one buffer cut into datagrams by the kernel
// (UDP_SEGMENT), which keeps this responder cheap so that the pair measures the bench.
// Returns how many datagrams went out.
uint64_t sendAnswers(int fd, const iovec* answers, const uint8_t* peer_of, unsigned m,
                     sockaddr_in* peers, bool& gso, Stats& stats) {
    struct Control {
        alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(uint16_t))];
    };
    std::array<mmsghdr, kBatch> msgs;
    std::array<iovec, kBatch> iov;
    std::array<Control, kBatch> control;
    std::array<unsigned, kBatch> count;
    std::array<bool, kBatch> taken{};
    unsigned n_iov = 0, n_msg = 0;
    for (unsigned a = 0; a < m; ++a) {
        if (taken[a])
            continue;
        const sockaddr_in& to = peers[peer_of[a]];
        // Everything for this peer, in order, as runs of equal size ending with at most one
        // shorter answer.
        unsigned b = a;
        while (b < m) {
            const unsigned first_iov = n_iov;
            const size_t size = answers[b].iov_len;
            iov[n_iov++] = answers[b];
            taken[b] = true;
            unsigned next = b + 1;
            bool run_open = gso;
            for (; next < m && run_open; ++next) {
                if (taken[next] || peers[peer_of[next]].sin_port != to.sin_port ||
                    peers[peer_of[next]].sin_addr.s_addr != to.sin_addr.s_addr) {
                    continue;
                }
                if (answers[next].iov_len > size || (n_iov - first_iov + 1) * size > 60000)
                    break;
                iov[n_iov++] = answers[next];
                taken[next] = true;
                if (answers[next].iov_len < size)
                    run_open = false;
            }
            mmsghdr& msg = msgs[n_msg];
            std::memset(&msg, 0, sizeof(msg));
            msg.msg_hdr.msg_name = const_cast<sockaddr_in*>(&to);
            msg.msg_hdr.msg_namelen = sizeof(sockaddr_in);
            msg.msg_hdr.msg_iov = &iov[first_iov];
            msg.msg_hdr.msg_iovlen = n_iov - first_iov;
            count[n_msg] = n_iov - first_iov;
            if (count[n_msg] > 1) {
                msg.msg_hdr.msg_control = control[n_msg].buf;
                msg.msg_hdr.msg_controllen = sizeof(control[n_msg].buf);
                cmsghdr* c = CMSG_FIRSTHDR(&msg.msg_hdr);
                c->cmsg_level = SOL_UDP;
                c->cmsg_type = UDP_SEGMENT;
                c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
                const auto gso_size = static_cast<uint16_t>(size);
                std::memcpy(CMSG_DATA(c), &gso_size, sizeof(gso_size));
            }
            ++n_msg;
            // The next answer for this peer not yet taken starts the next run.
            b = next;
            while (b < m && (taken[b] || peers[peer_of[b]].sin_port != to.sin_port ||
                             peers[peer_of[b]].sin_addr.s_addr != to.sin_addr.s_addr)) {
                ++b;
            }
        }
    }
    uint64_t sent = 0;
    unsigned done = 0;
    while (done < n_msg) {
        const int r = sendmmsg(fd, msgs.data() + done, n_msg - done, 0);
        if (r > 0) {
            for (int k = 0; k < r; ++k)
                sent += count[done + k];
            done += static_cast<unsigned>(r);
            continue;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (gso && msgs[done].msg_hdr.msg_controllen != 0) {
            gso = false;  // no UDP_SEGMENT here: plain datagrams from now on (this one is lost)
        }
        stats.dropped += count[done];
        ++done;
    }
    return sent;
}

void serve(int fd, const crypto::SharedSecret& secret, bool gso, Stats& stats) {
    const radius::Dictionary& dict = radius::Dictionary::builtin();
    auto rx = std::make_unique<uint8_t[]>(kBatch * radius::kMaxPacketLength);
    auto tx = std::make_unique<uint8_t[]>(kBatch * radius::kMaxPacketLength);
    std::array<mmsghdr, kBatch> in{};
    std::array<iovec, kBatch> in_iov{};
    std::array<iovec, kBatch> answer_iov{};
    std::array<uint8_t, kBatch> answer_peer{};
    std::array<sockaddr_in, kBatch> peers{};
    radius::Packet req;
    while (!g_stop.load(std::memory_order_relaxed)) {
        for (unsigned i = 0; i < kBatch; ++i) {
            in_iov[i] = {rx.get() + i * radius::kMaxPacketLength, radius::kMaxPacketLength};
            std::memset(&in[i].msg_hdr, 0, sizeof(msghdr));
            in[i].msg_hdr.msg_iov = &in_iov[i];
            in[i].msg_hdr.msg_iovlen = 1;
            in[i].msg_hdr.msg_name = &peers[i];
            in[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
        }
        // Blocks for the first datagram, then takes whatever else is already queued.
        const int n = recvmmsg(fd, in.data(), kBatch, MSG_WAITFORONE, nullptr);
        if (n <= 0)
            continue;  // timeout (to check for a signal) or EINTR
        unsigned m = 0;
        for (int i = 0; i < n; ++i) {
            ByteSpan d(rx.get() + i * radius::kMaxPacketLength, in[i].msg_len);
            if ((in[i].msg_hdr.msg_flags & MSG_TRUNC) || !radius::decodeInto(d, dict, req)) {
                ++stats.dropped;
                continue;
            }
            std::span<uint8_t, radius::kMaxPacketLength> buf(
                tx.get() + m * radius::kMaxPacketLength, radius::kMaxPacketLength);
            size_t len = 0;
            if (!answer(req, secret, buf, len)) {
                ++stats.dropped;
                continue;
            }
            answer_iov[m] = {buf.data(), len};
            answer_peer[m] = static_cast<uint8_t>(i);
            ++m;
        }
        stats.answered +=
            sendAnswers(fd, answer_iov.data(), answer_peer.data(), m, peers.data(), gso, stats);
    }
}

[[noreturn]] void usage(const char* why) {
    std::fprintf(stderr,
                 "null_responder: %s\nusage: null_responder [--address 127.0.0.1] [--port 1812] "
                 "[--secret testing123] [--threads 1] [--no-gso]\n",
                 why);
    std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
    std::string address = "127.0.0.1";
    std::string secret_text = "testing123";
    long port = 1812;
    long threads = 1;
    bool gso = true;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--help" || arg == "-h")
            usage("answers every RADIUS request");
        if (i + 1 >= argc)
            usage("missing value");
        const char* value = argv[++i];
        if (arg == "--address") {
            address = value;
        } else if (arg == "--port") {
            port = std::strtol(value, nullptr, 10);
        } else if (arg == "--secret") {
            secret_text = value;
        } else if (arg == "--threads") {
            threads = std::strtol(value, nullptr, 10);
        } else {
            usage("unknown option");
        }
    }
    if (port < 0 || port > 65535)
        usage("bad --port");
    if (threads < 1 || threads > 64)
        usage("bad --threads");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1)
        usage("bad --address");

    struct sigaction sa {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    std::vector<int> fds;
    for (long t = 0; t < threads; ++t) {
        int fd = openSocket(addr);
        if (fd < 0) {
            std::fprintf(stderr, "null_responder: bind %s:%ld: %s\n", address.c_str(), port,
                         std::strerror(errno));
            return 1;
        }
        if (t == 0) {  // --port 0: the others join the port the kernel chose
            socklen_t len = sizeof(addr);
            getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        }
        fds.push_back(fd);
    }
    std::printf("listening %s %u\n", address.c_str(), ntohs(addr.sin_port));
    std::fflush(stdout);

    const crypto::SharedSecret secret(secret_text);
    std::vector<Stats> stats(fds.size());
    std::vector<std::thread> workers;
    for (size_t t = 0; t < fds.size(); ++t) {
        workers.emplace_back([&, t] { serve(fds[t], secret, gso, stats[t]); });
    }
    for (auto& w : workers)
        w.join();
    Stats total;
    for (const Stats& s : stats) {
        total.answered += s.answered;
        total.dropped += s.dropped;
    }
    std::fprintf(stderr, "null_responder: answered %llu dropped %llu\n",
                 static_cast<unsigned long long>(total.answered),
                 static_cast<unsigned long long>(total.dropped));
    for (int fd : fds)
        close(fd);
    return 0;
}
