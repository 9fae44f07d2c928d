#pragma once
// What the hot path reads instead of the database: an immutable snapshot of NAS rows,
// subscribers (with their services) and settings. The loader (PostgreSQL + LISTEN/NOTIFY)
// builds a new snapshot when something changes and publishes it atomically; workers take a
// shared_ptr per request (or per batch) and never lock.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/crypto/md5.hpp"
#include "core/crypto/mschap.hpp"
#include "core/policy/model.hpp"

namespace gatehouse::store {

struct NasEntry {
    policy::Nas nas;  // what policies see (no secret there)
    std::shared_ptr<const crypto::SharedSecret> secret;
    bool enabled = true;
    /// BlastRADIUS: Access-Requests without a valid Message-Authenticator are dropped (default).
    bool require_message_authenticator = true;
    /// For old gear with the flag above off: drop Access-Requests carrying Proxy-State but no MA.
    bool limit_proxy_state = true;
};

struct SubscriberEntry {
    std::shared_ptr<const policy::Subscriber> subscriber;  // with its service
    std::string password;      // decrypted in memory only (PAP, CHAP need it); never logged
    crypto::NtHash nt_hash{};  // MD4(UTF-16LE(password)), computed once at load (MS-CHAP)
};

class Snapshot {
  public:
    /// IPv4 source address in host byte order.
    const NasEntry* nasByIp(uint32_t ipv4) const {
        auto it = nas_.find(ipv4);
        return it == nas_.end() ? nullptr : it->second.get();
    }
    const SubscriberEntry* subscriber(std::string_view username) const {
        auto it = subscribers_.find(username);
        return it == subscribers_.end() ? nullptr : it->second.get();
    }
    const policy::Settings& settings() const { return *settings_; }
    uint64_t version() const { return version_; }
    size_t nasCount() const { return nas_.size(); }
    size_t subscriberCount() const { return subscribers_.size(); }

    struct StringHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    using NasMap = std::unordered_map<uint32_t, std::shared_ptr<const NasEntry>>;
    using SubscriberMap = std::unordered_map<std::string, std::shared_ptr<const SubscriberEntry>,
                                             StringHash, std::equal_to<>>;

    /// Builders (the loader, tests) fill these before publishing; entries are shared between
    /// successive snapshots so a change copies pointers, not rows.
    NasMap nas_;
    SubscriberMap subscribers_;
    std::shared_ptr<const policy::Settings> settings_ = std::make_shared<policy::Settings>();
    uint64_t version_ = 0;
};

/// Where workers get the current snapshot. publish() is called by the loader thread.
class SnapshotHolder {
  public:
    SnapshotHolder() : current_(std::make_shared<const Snapshot>()) {}
    std::shared_ptr<const Snapshot> current() const { return std::atomic_load(&current_); }
    void publish(std::shared_ptr<const Snapshot> next) {
        std::atomic_store(&current_, std::move(next));
    }

  private:
    std::shared_ptr<const Snapshot> current_;
};

}  // namespace gatehouse::store
