#include "core/net/udp_worker.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "core/policy/worker_policy.hpp"

namespace gatehouse::net {

struct UdpWorker::Port {
    Port(boost::asio::io_context& io, int fd, bool is_auth) : socket(io), auth(is_auth) {
        socket.assign(boost::asio::ip::udp::v4(), fd);
    }
    boost::asio::ip::udp::socket socket;
    bool auth;
};

UdpWorker::UdpWorker(WorkerShared shared, int auth_fd, int acct_fd)
    : shared_(std::move(shared)),
      auth_(std::make_unique<Port>(io_, auth_fd, true)),
      acct_(std::make_unique<Port>(io_, acct_fd, false)),
      unknown_nas_(shared_.log),
      rx_(kBatch * radius::kMaxPacketLength),
      tx_(kBatch * radius::kMaxPacketLength) {}

UdpWorker::~UdpWorker() = default;

void UdpWorker::run() {
    // The VM is built on the thread that uses it (one lua_State per worker, never shared).
    policy_ = std::make_unique<policy::WorkerPolicy>(shared_.policies);
    process::WorkerEnv env{shared_.dict, *policy_, counters_,
                           shared_.unknown_nas ? *shared_.unknown_nas : unknown_nas_,
                           shared_.ack_unstored_accounting};
    access_.emplace(env, shared_.duplicate_slots);
    accounting_.emplace(env, shared_.duplicate_slots);
    arm(*auth_);
    arm(*acct_);
    ready_.store(true, std::memory_order_release);
    io_.run();
}

void UdpWorker::stop() {
    boost::asio::post(io_, [this] {
        stopping_ = true;
        boost::system::error_code ignored;
        auth_->socket.cancel(ignored);
        acct_->socket.cancel(ignored);
    });
}

void UdpWorker::arm(Port& port) {
    port.socket.async_wait(boost::asio::socket_base::wait_read,
                           [this, &port](const boost::system::error_code& ec) {
                               if (ec || stopping_)
                                   return;  // cancelled by stop(): no more reading
                               drain(port);
                               if (!stopping_)
                                   arm(port);
                           });
}

void UdpWorker::drain(Port& port) {
    const int fd = port.socket.native_handle();
    std::array<mmsghdr, kBatch> in{};
    std::array<iovec, kBatch> in_iov{};
    std::array<sockaddr_in, kBatch> peers{};
    std::array<mmsghdr, kBatch> out{};
    std::array<iovec, kBatch> out_iov{};
    // A few batches per readiness, then back to the reactor so the other port gets its turn.
    for (int round = 0; round < 8; ++round) {
        for (unsigned i = 0; i < kBatch; ++i) {
            in_iov[i] = {rx_.data() + i * radius::kMaxPacketLength, radius::kMaxPacketLength};
            std::memset(&in[i].msg_hdr, 0, sizeof(msghdr));
            in[i].msg_hdr.msg_iov = &in_iov[i];
            in[i].msg_hdr.msg_iovlen = 1;
            in[i].msg_hdr.msg_name = &peers[i];
            in[i].msg_hdr.msg_namelen = sizeof(sockaddr_in);
        }
        const int n = ::recvmmsg(fd, in.data(), kBatch, MSG_DONTWAIT, nullptr);
        if (n <= 0)
            return;  // EAGAIN: drained (EINTR: the reactor calls again)
        received_.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
        // One snapshot per batch: a reload of the NAS table or subscribers lands between two.
        const std::shared_ptr<const store::Snapshot> snapshot = shared_.snapshots.current();
        const process::Now now = process::nowFromClocks();
        unsigned m = 0;
        for (int i = 0; i < n; ++i) {
            if (in[i].msg_hdr.msg_flags & MSG_TRUNC) {
                counters_.drop(process::DropKind::kDecode);  // over 4096 octets (RFC 2865 3)
                continue;
            }
            const process::Datagram d{
                ByteSpan(rx_.data() + i * radius::kMaxPacketLength, in[i].msg_len),
                ntohl(peers[i].sin_addr.s_addr), ntohs(peers[i].sin_port)};
            process::ReplyBuffer buf(tx_.data() + m * radius::kMaxPacketLength,
                                     radius::kMaxPacketLength);
            const process::Outcome r = port.auth ? access_->handle(d, *snapshot, now, buf)
                                                 : accounting_->handle(d, *snapshot, now, buf);
            if (!r.reply)
                continue;
            out_iov[m] = {const_cast<uint8_t*>(r.bytes.data()), r.bytes.size()};
            std::memset(&out[m].msg_hdr, 0, sizeof(msghdr));
            out[m].msg_hdr.msg_iov = &out_iov[m];
            out[m].msg_hdr.msg_iovlen = 1;
            out[m].msg_hdr.msg_name = &peers[i];
            out[m].msg_hdr.msg_namelen = sizeof(sockaddr_in);
            ++m;
        }
        unsigned done = 0;
        uint64_t delivered = 0;
        while (done < m) {
            const int s = ::sendmmsg(fd, out.data() + done, m - done, 0);
            if (s > 0) {
                done += static_cast<unsigned>(s);
                delivered += static_cast<unsigned>(s);
                continue;
            }
            if (s < 0 && errno == EINTR)
                continue;
            ++done;  // this answer is lost (the NAS retransmits; the duplicate cache has it)
        }
        sent_.fetch_add(delivered, std::memory_order_relaxed);
        if (static_cast<unsigned>(n) < kBatch)
            return;
    }
}

}  // namespace gatehouse::net
