#include "core/net/udp_worker.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

#include "core/policy/worker_policy.hpp"

namespace gatehouse::net {

/// An Accounting-Response waiting for its record to be durable.
struct UdpWorker::PendingAck {
    uint32_t generation = 0;  // in the token, so a stale token cannot release a reused slot
    bool in_use = false;
    const Port* port = nullptr;
    sockaddr_in peer{};
    process::DuplicateCache::Lookup claim;
    Bytes response;  // capacity kept across uses
};

/// An Access-Accept waiting for its pool address.
struct UdpWorker::HeldAccept {
    uint32_t generation = 0;
    bool in_use = false;
    const Port* port = nullptr;
    sockaddr_in peer{};
    process::AccessPipeline::PendingClaim claim;
};

namespace {

uint64_t tokenOf(uint32_t slot, uint32_t generation) {
    return (uint64_t{generation} << 32) | slot;
}

/// One outgoing datagram of a sendmmsg batch.
void setMessage(mmsghdr& msg, iovec& iov, const uint8_t* data, size_t size, sockaddr_in* peer) {
    iov = {const_cast<uint8_t*>(data), size};
    std::memset(&msg.msg_hdr, 0, sizeof(msghdr));
    msg.msg_hdr.msg_iov = &iov;
    msg.msg_hdr.msg_iovlen = 1;
    msg.msg_hdr.msg_name = peer;
    msg.msg_hdr.msg_namelen = sizeof(sockaddr_in);
}

/// Sends out[0..m); returns how many went. An answer the kernel refuses is lost: the NAS
/// retransmits and the duplicate cache answers it.
uint64_t sendAll(int fd, mmsghdr* out, unsigned m) {
    unsigned done = 0;
    uint64_t delivered = 0;
    while (done < m) {
        const int s = ::sendmmsg(fd, out + done, m - done, 0);
        if (s > 0) {
            done += static_cast<unsigned>(s);
            delivered += static_cast<unsigned>(s);
        } else if (s < 0 && errno == EINTR) {
            continue;
        } else {
            ++done;
        }
    }
    return delivered;
}

}  // namespace

struct UdpWorker::Port {
    Port(boost::asio::io_context& io, int native, bool is_auth)
        : socket(io), fd(native), auth(is_auth) {
        socket.assign(boost::asio::ip::udp::v4(), native);
    }
    boost::asio::ip::udp::socket socket;
    int fd = -1;
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
    process::WorkerEnv env{shared_.dict,
                           *policy_,
                           counters_,
                           shared_.unknown_nas ? *shared_.unknown_nas : unknown_nas_,
                           shared_.ack_unstored_accounting,
                           shared_.accounting_writer != nullptr,
                           shared_.live,
                           shared_.logs,
                           shared_.log_accepts};
    env.ip_claims = shared_.ip_claimer != nullptr;
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
        finishStopIfIdle();
    });
}

void UdpWorker::finishStopIfIdle() {
    // Answers held for the writer keep the worker alive: acknowledged() posts them here.
    if (!stopping_)
        return;
    if (pending_count_.load(std::memory_order_relaxed) == 0) {
        guard_.reset();
    } else if (!guard_) {
        guard_.emplace(io_.get_executor());
    }
}

bool UdpWorker::defer(ByteSpan response, const sockaddr_in& peer, const Port& port) {
    process::AccountingPipeline::Deferred d = accounting_->takeDeferred();
    uint32_t slot;
    if (!free_pending_.empty()) {
        slot = free_pending_.back();
        free_pending_.pop_back();
    } else {
        slot = static_cast<uint32_t>(pending_.size());
        pending_.emplace_back();
    }
    PendingAck& p = pending_[slot];
    p.in_use = true;
    p.port = &port;
    p.peer = peer;
    p.claim = d.claim;
    p.response.assign(response.begin(), response.end());
    const uint64_t token = tokenOf(slot, p.generation);
    pending_count_.fetch_add(1, std::memory_order_relaxed);
    if (!shared_.accounting_writer->submit(std::move(d.record), this, token)) {
        counters_.drop(process::DropKind::kAccountingBackpressure);
        accounting_->abandoned(p.claim);
        p.in_use = false;
        ++p.generation;
        free_pending_.push_back(slot);
        pending_count_.fetch_sub(1, std::memory_order_relaxed);
        return false;
    }
    return true;
}

void UdpWorker::acknowledged(std::span<const uint64_t> tokens, bool durable) {
    boost::asio::post(io_, [this, list = std::vector<uint64_t>(tokens.begin(), tokens.end()),
                            durable] { release(list, durable); });
}

void UdpWorker::release(std::span<const uint64_t> tokens, bool durable) {
    std::array<mmsghdr, kBatch> out{};
    std::array<iovec, kBatch> iov{};
    const int64_t now_ms = process::nowFromClocks().steady_ms;
    size_t i = 0;
    while (i < tokens.size()) {
        unsigned m = 0;
        int fd = -1;
        std::array<uint32_t, kBatch> slots{};
        // One sendmmsg per run of answers for the same socket, kBatch at most.
        for (; i < tokens.size() && m < kBatch; ++i) {
            const uint32_t slot = static_cast<uint32_t>(tokens[i]);
            if (slot >= pending_.size())
                continue;
            PendingAck& p = pending_[slot];
            if (!p.in_use || p.generation != static_cast<uint32_t>(tokens[i] >> 32))
                continue;
            const int p_fd = p.port->fd;
            if (fd != -1 && p_fd != fd)
                break;
            fd = p_fd;
            if (!durable) {
                counters_.drop(process::DropKind::kAccountingNotStored);
                accounting_->abandoned(p.claim);
            } else {
                accounting_->acknowledged(p.claim, p.response, now_ms);
                setMessage(out[m], iov[m], p.response.data(), p.response.size(), &p.peer);
                slots[m] = slot;
                ++m;
                continue;
            }
            p.in_use = false;
            ++p.generation;
            free_pending_.push_back(slot);
            pending_count_.fetch_sub(1, std::memory_order_relaxed);
        }
        sent_.fetch_add(sendAll(fd, out.data(), m), std::memory_order_relaxed);
        for (unsigned k = 0; k < m; ++k) {
            PendingAck& p = pending_[slots[k]];
            p.in_use = false;
            ++p.generation;
            free_pending_.push_back(slots[k]);
            pending_count_.fetch_sub(1, std::memory_order_relaxed);
        }
    }
    finishStopIfIdle();
}

void UdpWorker::holdForClaim(const sockaddr_in& peer, const Port& port) {
    uint32_t slot;
    if (!free_held_.empty()) {
        slot = free_held_.back();
        free_held_.pop_back();
    } else {
        slot = static_cast<uint32_t>(held_.size());
        held_.emplace_back();
    }
    HeldAccept& h = held_[slot];
    h.in_use = true;
    h.port = &port;
    h.peer = peer;
    h.claim = access_->takeClaim();
    const uint64_t token = tokenOf(slot, h.generation);
    pending_count_.fetch_add(1, std::memory_order_relaxed);
    if (!shared_.ip_claimer->submit(h.claim.request, this, token)) {
        // The claimer is swamped: answer now with the Reject, as an empty pool would be.
        finishClaim(token, store::IpClaimResult{0, "claim queue full", {}});
    }
}

void UdpWorker::claimed(uint64_t token, store::IpClaimResult result) {
    boost::asio::post(io_, [this, token, r = std::move(result)] { finishClaim(token, r); });
}

void UdpWorker::finishClaim(uint64_t token, const store::IpClaimResult& result) {
    const uint32_t slot = static_cast<uint32_t>(token);
    if (slot >= held_.size())
        return;
    HeldAccept& h = held_[slot];
    if (!h.in_use || h.generation != static_cast<uint32_t>(token >> 32))
        return;
    const ByteSpan answer = access_->finishClaim(h.claim, result, process::nowFromClocks());
    const ssize_t sent = ::sendto(h.port->fd, answer.data(), answer.size(), 0,
                                  reinterpret_cast<const sockaddr*>(&h.peer), sizeof(h.peer));
    if (sent > 0)
        sent_.fetch_add(1, std::memory_order_relaxed);
    h.in_use = false;
    ++h.generation;
    free_held_.push_back(slot);
    pending_count_.fetch_sub(1, std::memory_order_relaxed);
    finishStopIfIdle();
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
            if (r.claim) {
                holdForClaim(peers[i], port);  // answered by finishClaim()
                continue;
            }
            if (!r.reply)
                continue;
            if (r.deferred) {
                defer(r.bytes, peers[i], port);  // answered by release() once durable
                continue;
            }
            setMessage(out[m], out_iov[m], r.bytes.data(), r.bytes.size(), &peers[i]);
            ++m;
        }
        sent_.fetch_add(sendAll(fd, out.data(), m), std::memory_order_relaxed);
        if (static_cast<unsigned>(n) < kBatch)
            return;
    }
}

}  // namespace gatehouse::net
