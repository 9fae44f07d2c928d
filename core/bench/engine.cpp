#include "core/bench/engine.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <thread>
#include <vector>

#include "core/bench/random_pool.hpp"
#include "core/bench/request_builder.hpp"
#include "core/bench/slot_table.hpp"
#include "core/crypto/hiding.hpp"
#include "core/radius/packet.hpp"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103  // linux/udp.h; older libc headers lack it
#endif

namespace gatehouse::bench {

namespace {

constexpr unsigned kBatch = 64;         // datagrams per sendmmsg/recvmmsg
constexpr int kSocketBuffer = 4 << 20;  // so that a burst of answers is not dropped
constexpr int64_t kMaxScanNs = 10'000'000;
constexpr size_t kMaxGsoBytes = 60000;  // one UDP_SEGMENT send stays under 64 KiB

int64_t monotonicNs() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

void setBuffer(int fd, int force_opt, int opt) {
    int size = kSocketBuffer;
    // The FORCE variant ignores rmem_max/wmem_max but needs CAP_NET_ADMIN.
    if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) != 0) {
        setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
    }
}

// An accounting session on one source port: Start, interims, Stop, then a new session.
struct Session {
    uint32_t user = 0;
    uint32_t step = 0;
    uint64_t number = 0;
};

struct Port {
    int fd = -1;
    SlotTable table;
    std::vector<Session> sessions;
    std::vector<uint32_t> ready;  // sessions whose next request may be sent
    explicit Port(uint32_t window) : table(window) {}
    Port(const Port&) = delete;
    Port& operator=(const Port&) = delete;
    ~Port() {
        if (fd >= 0)
            close(fd);
    }
};

class Worker {
  public:
    Worker(const Options& o, const RequestBuilder& builder, uint32_t index)
        : o_(o), builder_(builder), index_(index), gso_(o.gso) {}

    std::string open(const sockaddr_in& server, const std::vector<uint32_t>& windows) {
        epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
        if (epoll_fd_ < 0)
            return std::string("epoll_create1: ") + std::strerror(errno);
        for (uint32_t w : windows) {
            auto p = std::make_unique<Port>(w);
            p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            if (p->fd < 0)
                return std::string("socket: ") + std::strerror(errno);
            setBuffer(p->fd, SO_RCVBUFFORCE, SO_RCVBUF);
            setBuffer(p->fd, SO_SNDBUFFORCE, SO_SNDBUF);
            // Connected: the kernel drops datagrams from any other address and port, and the
            // route is looked up once.
            if (connect(p->fd, reinterpret_cast<const sockaddr*>(&server), sizeof(server)) != 0) {
                return std::string("connect: ") + std::strerror(errno);
            }
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u32 = static_cast<uint32_t>(ports_.size());
            if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, p->fd, &ev) != 0) {
                return std::string("epoll_ctl: ") + std::strerror(errno);
            }
            if (o_.mode == Mode::kAcct) {
                p->sessions.resize(w);
                for (uint32_t s = 0; s < w; ++s) {
                    newSession(p->sessions[s]);
                    p->ready.push_back(w - 1 - s);
                }
            }
            ports_.push_back(std::move(p));
        }
        return {};
    }

    ~Worker() {
        if (epoll_fd_ >= 0)
            close(epoll_fd_);
    }

    void setQuota(uint64_t quota, uint32_t first_user) {
        quota_ = quota;
        next_user_ = first_user % o_.users;
    }

    void run(int64_t start_ns, int64_t end_ns, const std::atomic<bool>* stop) {
        timeout_ns_ = int64_t{o_.timeout_ms} * 1'000'000;
        const int64_t scan_every = std::min<int64_t>(timeout_ns_ / 4 + 1, kMaxScanNs);
        int64_t next_scan = start_ns + scan_every;
        last_done_ns_ = start_ns;
        epoll_event events[64];
        while (true) {
            int64_t now = monotonicNs();
            const bool sending = quota_ > 0 && (end_ns == 0 || now < end_ns) &&
                                 (stop == nullptr || !stop->load(std::memory_order_relaxed));
            uint32_t in_flight = 0;
            for (auto& p : ports_) {
                if (sending)
                    fill(*p);
                in_flight += p->table.inFlight();
            }
            if (!sending && in_flight == 0)
                break;
            if (fatal_)
                break;
            now = monotonicNs();
            int64_t wait_ns = next_scan - now;
            if (sending && end_ns != 0)
                wait_ns = std::min(wait_ns, end_ns - now);
            // epoll_wait counts in milliseconds: round up so we never spin on a 0 timeout.
            const int wait_ms =
                wait_ns <= 0 ? 0 : static_cast<int>((wait_ns + 999'999) / 1'000'000);
            const int n = epoll_wait(epoll_fd_, events, 64, wait_ms);
            for (int i = 0; i < n; ++i)
                drain(*ports_[events[i].data.u32]);
            now = monotonicNs();
            if (now >= next_scan) {
                for (auto& p : ports_)
                    expire(*p, now);
                next_scan = now + scan_every;
            }
        }
    }

    const Counters& counters() const { return counters_; }
    const LatencyHistogram& latency() const { return latency_; }
    int64_t lastDoneNs() const { return last_done_ns_; }
    const std::string& fatal() const { return fatal_message_; }

  private:
    void newSession(Session& s) {
        s.user = next_user_;
        next_user_ = next_user_ + 1 == o_.users ? 0 : next_user_ + 1;
        s.step = 0;
        s.number = (uint64_t{index_} << 48) | session_counter_++;
    }

    // Called when a request ends, answered or timed out: the session's next request may go.
    void advanceSession(Port& p, uint32_t tag) {
        Session& s = p.sessions[tag];
        if (++s.step >= builder_.acctSteps())
            newSession(s);
        p.ready.push_back(tag);
    }

    // Tops the port's window up, kBatch requests per system call.
    void fill(Port& p) {
        while (fillBatch(p) == kBatch) {
        }
    }

    unsigned fillBatch(Port& p) {
        uint8_t ids[kBatch];
        unsigned n = 0;
        const auto event_time = static_cast<uint32_t>(time(nullptr));
        while (n < kBatch && quota_ > 0) {
            RequestSpec spec;
            uint32_t tag = 0;
            if (o_.mode == Mode::kAcct) {
                if (p.ready.empty())
                    break;
            }
            const int id = p.table.acquire();
            if (id < 0)
                break;
            spec.id = static_cast<uint8_t>(id);
            if (o_.mode == Mode::kAcct) {
                tag = p.ready.back();
                p.ready.pop_back();
                const Session& s = p.sessions[tag];
                spec.user = s.user;
                spec.acct_step = s.step;
                spec.session_number = s.number;
                spec.event_time = event_time;
                if (s.step == 0)
                    ++counters_.acct_starts;
            } else {
                spec.user = next_user_;
                next_user_ = next_user_ + 1 == o_.users ? 0 : next_user_ + 1;
            }
            p.table.prepare(spec.id);
            auto built = builder_.build(spec, p.table.buffer(spec.id), rng_);
            if (!built) {
                fatal_ = true;
                fatal_message_ = "cannot build the request: " + radius::describe(built.error());
                break;
            }
            // The send time is set just before sendmmsg below; 0 for now.
            p.table.markSent(spec.id, *built, tag, 0, 0);
            ids[n++] = spec.id;
            --quota_;
        }
        if (n == 0)
            return 0;
        const int64_t now = monotonicNs();
        for (unsigned i = 0; i < n; ++i)
            p.table.setSendTime(ids[i], now, now + timeout_ns_);
        counters_.sent += n;
        transmit(p, ids, n);
        return n;
    }

    // Sends the requests in buffer order. With GSO (UDP_SEGMENT, Linux 4.18) a run of
    // equal-sized requests goes down the stack as one buffer that is cut into ordinary
    // datagrams at the end: the server receives exactly what it would otherwise, and the
    // bench pays one trip through the IP stack per run instead of one per request.
    void transmit(Port& p, const uint8_t* ids, unsigned n) {
        struct GsoControl {
            alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(uint16_t))];
        };
        mmsghdr msgs[kBatch];
        iovec iov[kBatch];
        GsoControl control[kBatch];
        unsigned first_of[kBatch + 1];  // msgs[m] carries ids[first_of[m] .. first_of[m + 1])
        unsigned m = 0;
        for (unsigned i = 0; i < n; ++m) {
            const unsigned first = i;
            const size_t size = p.table.request(ids[i]).size();
            ++i;
            // A run: equal sizes, then at most one shorter request to end it (UDP_SEGMENT
            // cuts every gso_size octets; only the last piece may be short).
            while (gso_ && i < n && (i - first + 1) * size <= kMaxGsoBytes) {
                const size_t next = p.table.request(ids[i]).size();
                if (next > size)
                    break;
                ++i;
                if (next < size)
                    break;
            }
            for (unsigned k = first; k < i; ++k) {
                ByteSpan req = p.table.request(ids[k]);
                iov[k].iov_base = const_cast<uint8_t*>(req.data());
                iov[k].iov_len = req.size();
            }
            msghdr& h = msgs[m].msg_hdr;
            std::memset(&msgs[m], 0, sizeof(mmsghdr));
            h.msg_iov = &iov[first];
            h.msg_iovlen = i - first;
            if (i - first > 1) {
                h.msg_control = control[m].buf;
                h.msg_controllen = sizeof(control[m].buf);
                cmsghdr* c = CMSG_FIRSTHDR(&h);
                c->cmsg_level = SOL_UDP;
                c->cmsg_type = UDP_SEGMENT;
                c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
                const auto gso_size = static_cast<uint16_t>(size);
                std::memcpy(CMSG_DATA(c), &gso_size, sizeof(gso_size));
            }
            first_of[m] = first;
        }
        first_of[m] = n;
        unsigned done = 0;
        int refusals = 0;
        while (done < m) {
            const int r = sendmmsg(p.fd, msgs + done, m - done, 0);
            if (r > 0) {
                done += static_cast<unsigned>(r);
                continue;
            }
            const int err = errno;
            if (err == ECONNREFUSED && ++refusals < 3) {
                continue;  // reports an earlier ICMP port unreachable; the send may work now
            }
            if (gso_ && msgs[done].msg_hdr.msg_controllen != 0 &&
                (err == EIO || err == EINVAL || err == EOPNOTSUPP || err == ENOPROTOOPT)) {
                // No GSO on this path (kernel, device or MTU): send one by one from here on.
                gso_ = false;
                transmit(p, ids + first_of[done], n - first_of[done]);
                return;
            }
            // A full buffer or another error: the datagrams are lost, as on a real network;
            // the requests stay in flight and are retransmitted or time out.
            counters_.send_errors += first_of[done + 1] - first_of[done];
            ++done;
        }
    }

    void drain(Port& p) {
        for (int round = 0; round < 4; ++round) {
            mmsghdr msgs[kBatch];
            iovec iov[kBatch];
            for (unsigned i = 0; i < kBatch; ++i) {
                iov[i].iov_base = rx_.get() + size_t{i} * radius::kMaxPacketLength;
                iov[i].iov_len = radius::kMaxPacketLength;
                std::memset(&msgs[i].msg_hdr, 0, sizeof(msghdr));
                msgs[i].msg_hdr.msg_iov = &iov[i];
                msgs[i].msg_hdr.msg_iovlen = 1;
            }
            const int r = recvmmsg(p.fd, msgs, kBatch, MSG_DONTWAIT, nullptr);
            if (r < 0) {
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                    return;
                if (errno == EINTR)
                    continue;
                ++counters_.recv_errors;  // e.g. ECONNREFUSED: nothing listens there
                return;
            }
            const int64_t now = monotonicNs();
            for (int i = 0; i < r; ++i) {
                if (msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
                    ++counters_.malformed;  // over 4096 octets: not RADIUS over UDP
                    continue;
                }
                ByteSpan d(static_cast<const uint8_t*>(iov[i].iov_base), msgs[i].msg_len);
                const ResponseOutcome out = p.table.onResponse(
                    d, now, builder_.secret(), o_.require_ma, scratch_, counters_, latency_);
                if (out.completed) {
                    last_done_ns_ = now;
                    if (o_.mode == Mode::kAcct) {
                        const uint32_t tag = p.table.slot(out.id).tag;
                        if (p.sessions[tag].step == 0)
                            ++counters_.acct_starts_answered;
                        advanceSession(p, tag);
                    }
                }
            }
            // A short batch emptied the queue; so did a full one that answered everything.
            if (static_cast<unsigned>(r) < kBatch || p.table.inFlight() == 0)
                return;
        }
    }

    void expire(Port& p, int64_t now) {
        uint8_t ids[256];
        unsigned n = 0;
        p.table.expire(
            now, o_.retries + 1, timeout_ns_, [&](uint8_t id) { ids[n++] = id; },
            [&](uint8_t id) {
                ++counters_.timed_out;
                last_done_ns_ = now;
                if (o_.mode == Mode::kAcct)
                    advanceSession(p, p.table.slot(id).tag);
            });
        counters_.retransmits += n;
        for (unsigned off = 0; off < n; off += kBatch) {
            transmit(p, ids + off, std::min<unsigned>(kBatch, n - off));
        }
    }

    const Options& o_;
    const RequestBuilder& builder_;
    uint32_t index_;
    bool gso_;
    int epoll_fd_ = -1;
    std::vector<std::unique_ptr<Port>> ports_;
    std::unique_ptr<uint8_t[]> rx_{new uint8_t[kBatch * radius::kMaxPacketLength]};
    radius::Packet scratch_;
    RandomPool rng_;
    Counters counters_;
    LatencyHistogram latency_;
    uint64_t quota_ = 0;
    uint32_t next_user_ = 0;
    uint64_t session_counter_ = 0;
    int64_t timeout_ns_ = 0;
    int64_t last_done_ns_ = 0;
    bool fatal_ = false;
    std::string fatal_message_;
};

}  // namespace

Expected<Report, std::string> runBench(const Options& o, const std::atomic<bool>* stop) {
    if (std::string e = validate(o); !e.empty())
        return unexpected(e);
    sockaddr_in server{};
    server.sin_family = AF_INET;
    server.sin_port = htons(effectivePort(o));
    inet_pton(AF_INET, o.server.c_str(), &server.sin_addr);

    uint32_t nonce;
    crypto::randomBytes(reinterpret_cast<uint8_t*>(&nonce), sizeof(nonce));
    const RequestBuilder builder(o, nonce);

    // Window split over the source ports as evenly as possible, ports over threads likewise.
    std::vector<std::vector<uint32_t>> windows(o.threads);
    for (uint32_t s = 0; s < o.sockets; ++s) {
        windows[s % o.threads].push_back(o.window / o.sockets + (s < o.window % o.sockets ? 1 : 0));
    }
    std::vector<std::unique_ptr<Worker>> workers;
    uint64_t assigned = 0;
    for (uint32_t t = 0; t < o.threads; ++t) {
        auto w = std::make_unique<Worker>(o, builder, t);
        uint32_t thread_window = 0;
        for (uint32_t x : windows[t])
            thread_window += x;
        // Duration runs: no request limit. Count runs: shares in proportion to the window.
        uint64_t quota = UINT64_MAX;
        if (o.duration_s <= 0) {
            quota = t + 1 == o.threads
                        ? o.count - assigned
                        : static_cast<uint64_t>(static_cast<unsigned __int128>(o.count) *
                                                thread_window / o.window);
            assigned += quota;
        }
        // Each thread starts at its own part of the population (set before open(), which
        // already picks the users of the first accounting sessions).
        w->setQuota(quota, static_cast<uint32_t>(uint64_t{o.users} * t / o.threads));
        if (std::string e = w->open(server, windows[t]); !e.empty())
            return unexpected(e);
        workers.push_back(std::move(w));
    }

    const int64_t start = monotonicNs();
    const int64_t end = o.duration_s > 0 ? start + static_cast<int64_t>(o.duration_s * 1e9) : 0;
    std::vector<std::thread> threads;
    for (auto& w : workers)
        threads.emplace_back([&w, start, end, stop] { w->run(start, end, stop); });
    for (auto& t : threads)
        t.join();

    Report report;
    report.options = o;
    int64_t last = start;
    for (auto& w : workers) {
        if (!w->fatal().empty())
            return unexpected(w->fatal());
        report.counters.merge(w->counters());
        report.latency.merge(w->latency());
        last = std::max(last, w->lastDoneNs());
    }
    report.elapsed_s = static_cast<double>(last - start) / 1e9;
    return report;
}

}  // namespace gatehouse::bench
