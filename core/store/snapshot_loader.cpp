#include "core/store/snapshot_loader.hpp"

#include <fmt/core.h>
#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <set>
#include <vector>

#include "core/crypto/mschap.hpp"
#include "core/store/validate.hpp"

namespace gatehouse::store {

namespace {

// Past this many changed subscribers in one batch a full reload is cheaper than an
// id list in SQL.
constexpr size_t kFullReloadThreshold = 20000;

using ServiceMap = std::unordered_map<int64_t, std::shared_ptr<const policy::Service>>;
using ReadTxn = pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::read_only>;

std::string idList(const std::set<int64_t>& ids) {
    std::string out = "'{";
    for (auto it = ids.begin(); it != ids.end(); ++it) {
        if (it != ids.begin())
            out += ',';
        out += std::to_string(*it);
    }
    return out + "}'::bigint[]";
}

std::string where(const std::set<int64_t>* ids, const char* column) {
    return ids == nullptr ? "" : std::string(" WHERE ") + column + " = ANY(" + idList(*ids) + ")";
}

std::vector<std::string> splitLines(const std::string& s) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < s.size()) {
        size_t end = s.find('\n', pos);
        if (end == std::string::npos)
            end = s.size();
        out.push_back(s.substr(pos, end - pos));
        pos = end + 1;
    }
    return out;
}

ServiceMap loadServices(pqxx::transaction_base& txn, const std::set<int64_t>* ids) {
    ServiceMap out;
    auto rows = txn.exec(
        "SELECT id, name, download_bps, upload_bps, burst_download_bps, burst_upload_bps,"
        " burst_threshold_download_bps, burst_threshold_upload_bps, burst_time_s, priority,"
        " pool_name, managed_pool, idle_timeout, session_timeout, simultaneous_use, filter_id,"
        " address_list, fup_counts FROM services" +
        where(ids, "id"));
    std::unordered_map<int64_t, std::shared_ptr<policy::Service>> building;
    for (const auto& r : rows) {
        auto s = std::make_shared<policy::Service>();
        s->id = r[0].as<int64_t>();
        s->name = r[1].as<std::string>();
        s->download_bps = r[2].as<uint64_t>();
        s->upload_bps = r[3].as<uint64_t>();
        s->burst_download_bps = r[4].as<uint64_t>();
        s->burst_upload_bps = r[5].as<uint64_t>();
        s->burst_threshold_download_bps = r[6].as<uint64_t>();
        s->burst_threshold_upload_bps = r[7].as<uint64_t>();
        s->burst_time_s = r[8].as<uint32_t>();
        s->priority = r[9].as<uint32_t>();
        s->pool_name = r[10].as<std::string>();
        s->managed_pool = r[11].as<std::string>();
        s->idle_timeout = r[12].as<uint32_t>();
        s->session_timeout = r[13].as<uint32_t>();
        s->simultaneous_use = r[14].as<uint32_t>();
        s->filter_id = r[15].as<std::string>();
        s->address_list = r[16].as<std::string>();
        s->fup_counts = r[17].as<std::string>();
        building.emplace(s->id, s);
    }
    auto tiers = txn.exec(
        "SELECT service_id, name, daily_bytes, monthly_bytes, download_bps, upload_bps, filter_id"
        " FROM service_fup_tiers" +
        where(ids, "service_id") + " ORDER BY service_id, tier");
    for (const auto& r : tiers) {
        auto it = building.find(r[0].as<int64_t>());
        if (it == building.end())
            continue;
        policy::FupTier t;
        t.name = r[1].as<std::string>();
        t.daily_bytes = r[2].as<uint64_t>();
        t.monthly_bytes = r[3].as<uint64_t>();
        t.download_bps = r[4].as<uint64_t>();
        t.upload_bps = r[5].as<uint64_t>();
        t.filter_id = r[6].as<std::string>();
        it->second->fup.push_back(std::move(t));
    }
    for (auto& [id, s] : building)
        out.emplace(id, std::move(s));
    return out;
}

struct LoadedNas {
    int64_t id;
    uint32_t ip;
    std::shared_ptr<const NasEntry> entry;
};

std::vector<LoadedNas> loadNas(pqxx::transaction_base& txn, const std::set<int64_t>* ids) {
    std::vector<LoadedNas> out;
    auto rows = txn.exec(
        "SELECT id, name, host(ip), type, secret, enabled, coa_port,"
        " array_to_string(realms, E'\\n'), require_message_authenticator, limit_proxy_state"
        " FROM nas_devices" +
        where(ids, "id"));
    for (const auto& r : rows) {
        auto e = std::make_shared<NasEntry>();
        e->nas.id = r[0].as<int64_t>();
        e->nas.name = r[1].as<std::string>();
        e->nas.ip = r[2].as<std::string>();
        e->nas.type = r[3].as<std::string>();
        e->secret = std::make_shared<const crypto::SharedSecret>(r[4].as<std::string>());
        e->enabled = r[5].as<bool>();
        e->nas.coa_port = r[6].as<uint16_t>();
        e->nas.realms = splitLines(r[7].as<std::string>());
        e->require_message_authenticator = r[8].as<bool>();
        e->limit_proxy_state = r[9].as<bool>();
        auto ip = parseIpv4(e->nas.ip, "ip");
        if (!ip)
            continue;  // the schema allows only IPv4 hosts; nothing else can be looked up
        out.push_back(LoadedNas{e->nas.id, *ip, std::move(e)});
    }
    return out;
}

struct LoadedSubscriber {
    int64_t id;
    std::shared_ptr<const SubscriberEntry> entry;
};

std::vector<LoadedSubscriber> loadSubscribers(pqxx::transaction_base& txn,
                                              const std::set<int64_t>* ids,
                                              const ServiceMap& services,
                                              const crypto::SecretBox& box,
                                              std::atomic<uint64_t>& decrypt_failures) {
    std::unordered_map<int64_t, std::vector<policy::ExtraAttribute>> extra;
    for (const auto& r : txn.exec("SELECT subscriber_id, attribute, value FROM radreply" +
                                  where(ids, "subscriber_id") + " ORDER BY subscriber_id, id"))
        extra[r[0].as<int64_t>()].push_back({r[1].as<std::string>(), r[2].as<std::string>()});

    auto rows = txn.exec(
        "SELECT id, username, password_enc, service_id, COALESCE(host(static_ip), ''),"
        " COALESCE(upper(mac::text), ''), extract(epoch FROM expires_at)::bigint, enabled,"
        " COALESCE(reseller_id, 0), COALESCE(host(last_ip), '') FROM subscribers" +
        where(ids, "id"));
    std::vector<LoadedSubscriber> out;
    out.reserve(rows.size());
    for (const auto& r : rows) {
        auto sub = std::make_shared<policy::Subscriber>();
        sub->id = r[0].as<int64_t>();
        sub->username = r[1].as<std::string>();
        auto password = box.open(r[2].as<std::string>(), sub->username);
        if (!password) {
            decrypt_failures.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        if (!r[3].is_null()) {
            auto it = services.find(r[3].as<int64_t>());
            if (it != services.end())
                sub->service = it->second;
        }
        sub->static_ip = r[4].as<std::string>();
        sub->mac = r[5].as<std::string>();
        if (!r[6].is_null())
            sub->expires_at = r[6].as<int64_t>();
        sub->enabled = r[7].as<bool>();
        sub->reseller_id = r[8].as<int64_t>();
        sub->last_ip = r[9].as<std::string>();
        if (auto it = extra.find(sub->id); it != extra.end())
            sub->extra = std::move(it->second);
        auto entry = std::make_shared<SubscriberEntry>();
        entry->nt_hash = crypto::ntPasswordHash(*password);
        entry->password = std::move(*password);
        entry->subscriber = std::move(sub);
        out.push_back(LoadedSubscriber{entry->subscriber->id, std::move(entry)});
    }
    return out;
}

uint32_t toU32(const std::string& v, uint32_t fallback) {
    try {
        size_t used = 0;
        unsigned long n = std::stoul(v, &used);
        return used == v.size() && n <= UINT32_MAX ? static_cast<uint32_t>(n) : fallback;
    } catch (const std::exception&) {
        return fallback;
    }
}

std::shared_ptr<const policy::Settings> loadSettings(pqxx::transaction_base& txn) {
    auto s = std::make_shared<policy::Settings>();
    for (const auto& r : txn.exec("SELECT key, value FROM settings")) {
        auto key = r[0].as<std::string>();
        auto value = r[1].as<std::string>();
        if (key == "interim_interval")
            s->interim_interval = toU32(value, s->interim_interval);
        else if (key == "hard_cut")
            s->hard_cut = parseBool(value, key).value_or(s->hard_cut);
        else if (key == "expired_action")
            s->expired_action = value;
        else if (key == "grace_days")
            s->grace_days = toU32(value, s->grace_days);
        else if (key == "walled_garden_pool")
            s->walled_garden_pool = value;
        else if (key == "walled_garden_address_list")
            s->walled_garden_address_list = value;
        else if (key == "timezone")
            s->timezone = value;
        else
            s->extra[key] = value;
    }
    return s;
}

struct Pending {
    std::set<int64_t> nas, services, subscribers;
    bool settings = false;
    bool empty() const {
        return nas.empty() && services.empty() && subscribers.empty() && !settings;
    }
};

// Payload "<op>:<id>" (migrations/001_initial.sql gh_notify_change).
void addId(std::set<int64_t>& ids, const std::string& payload) {
    auto colon = payload.find(':');
    if (colon == std::string::npos)
        return;
    try {
        ids.insert(std::stoll(payload.substr(colon + 1)));
    } catch (const std::exception&) {
    }
}

class Receiver final : public pqxx::notification_receiver {
  public:
    Receiver(pqxx::connection_base& conn, const std::string& channel,
             std::function<void(const std::string&)> on_payload)
        : pqxx::notification_receiver(conn, channel), on_payload_(std::move(on_payload)) {}
    void operator()(const std::string& payload, int /*backend_pid*/) override {
        on_payload_(payload);
    }

  private:
    std::function<void(const std::string&)> on_payload_;
};

}  // namespace

struct SnapshotLoader::State {
    ServiceMap services;
    std::unordered_map<int64_t, uint32_t> nas_ip;       // NAS id -> map key
    std::unordered_map<int64_t, std::string> username;  // subscriber id -> map key
    std::shared_ptr<const Snapshot> current;
    Pending pending;
    std::unique_ptr<pqxx::connection> owned;  // the loader thread's LISTEN connection
    pqxx::connection* conn = nullptr;         // owned, or the caller's (loadSnapshot)
    std::vector<std::unique_ptr<Receiver>> receivers;

    void disconnect() {
        receivers.clear();  // before the connection they are registered with
        owned.reset();
        conn = nullptr;
    }

    void fullReload(const crypto::SecretBox& box, std::atomic<uint64_t>& decrypt_failures) {
        ReadTxn txn(*conn);
        auto next = std::make_shared<Snapshot>();
        services = loadServices(txn, nullptr);
        nas_ip.clear();
        username.clear();
        for (auto& n : loadNas(txn, nullptr)) {
            nas_ip[n.id] = n.ip;
            next->nas_[n.ip] = std::move(n.entry);
        }
        for (auto& s : loadSubscribers(txn, nullptr, services, box, decrypt_failures)) {
            username[s.id] = s.entry->subscriber->username;
            next->subscribers_[s.entry->subscriber->username] = std::move(s.entry);
        }
        next->settings_ = loadSettings(txn);
        txn.commit();
        next->version_ = current ? current->version_ + 1 : 1;
        current = std::move(next);
        pending = Pending{};
    }

    void applyPending(const crypto::SecretBox& box, std::atomic<uint64_t>& decrypt_failures) {
        auto next = std::make_shared<Snapshot>(*current);
        ReadTxn txn(*conn);
        if (pending.settings)
            next->settings_ = loadSettings(txn);
        if (!pending.services.empty()) {
            auto loaded = loadServices(txn, &pending.services);
            for (int64_t id : pending.services) {
                auto it = loaded.find(id);
                if (it == loaded.end())
                    services.erase(id);
                else
                    services[id] = it->second;
            }
            // Subscribers point at their service: those of a changed one get a new object
            // (copy of the subscriber, new service pointer); their password entry is shared.
            for (auto& [name, entry] : next->subscribers_) {
                const auto& svc = entry->subscriber->service;
                if (!svc || pending.services.count(svc->id) == 0)
                    continue;
                auto sub = std::make_shared<policy::Subscriber>(*entry->subscriber);
                auto found = services.find(svc->id);
                sub->service = found == services.end() ? nullptr : found->second;
                auto copy = std::make_shared<SubscriberEntry>(*entry);
                copy->subscriber = std::move(sub);
                entry = std::move(copy);
            }
        }
        if (!pending.nas.empty()) {
            // Old keys go first: two NAS may swap addresses in one batch.
            for (int64_t id : pending.nas) {
                if (auto it = nas_ip.find(id); it != nas_ip.end()) {
                    next->nas_.erase(it->second);
                    nas_ip.erase(it);
                }
            }
            for (auto& n : loadNas(txn, &pending.nas)) {
                nas_ip[n.id] = n.ip;
                next->nas_[n.ip] = std::move(n.entry);
            }
        }
        if (!pending.subscribers.empty()) {
            for (int64_t id : pending.subscribers) {
                if (auto it = username.find(id); it != username.end()) {
                    next->subscribers_.erase(it->second);
                    username.erase(it);
                }
            }
            for (auto& s :
                 loadSubscribers(txn, &pending.subscribers, services, box, decrypt_failures)) {
                username[s.id] = s.entry->subscriber->username;
                next->subscribers_[s.entry->subscriber->username] = std::move(s.entry);
            }
        }
        txn.commit();
        next->version_ = current->version_ + 1;
        current = std::move(next);
        pending = Pending{};
    }
};

std::shared_ptr<const Snapshot> loadSnapshot(pqxx::connection& conn, const crypto::SecretBox& box) {
    SnapshotLoader::State state;
    std::atomic<uint64_t> failures{0};
    state.conn = &conn;
    state.fullReload(box, failures);
    return state.current;
}

SnapshotLoader::SnapshotLoader(std::string conninfo, crypto::SecretBox box, SnapshotHolder& holder)
    : conninfo_(std::move(conninfo)),
      box_(std::move(box)),
      holder_(holder),
      state_(std::make_unique<State>()) {}

SnapshotLoader::~SnapshotLoader() {
    stop();
}

void SnapshotLoader::connectAndLoad() {
    auto& s = *state_;
    s.disconnect();
    s.owned = std::make_unique<pqxx::connection>(conninfo_);
    s.conn = s.owned.get();
    // LISTEN before loading: a change committed during the load is then both in the load and
    // in a notification, and applying it twice is harmless; the other order could miss it.
    s.receivers.push_back(std::make_unique<Receiver>(
        *s.conn, "gh_nas", [&s](const std::string& p) { addId(s.pending.nas, p); }));
    s.receivers.push_back(std::make_unique<Receiver>(
        *s.conn, "gh_service", [&s](const std::string& p) { addId(s.pending.services, p); }));
    s.receivers.push_back(std::make_unique<Receiver>(
        *s.conn, "gh_subscriber", [&s](const std::string& p) { addId(s.pending.subscribers, p); }));
    s.receivers.push_back(std::make_unique<Receiver>(
        *s.conn, "gh_settings", [&s](const std::string&) { s.pending.settings = true; }));
    s.fullReload(box_, decrypt_failures_);
    full_reloads_.fetch_add(1, std::memory_order_relaxed);
    holder_.publish(s.current);
    publishes_.fetch_add(1, std::memory_order_relaxed);
}

void SnapshotLoader::start() {
    connectAndLoad();
    stopping_ = false;
    thread_ = std::thread([this] { run(); });
}

void SnapshotLoader::stop() {
    stopping_ = true;
    if (thread_.joinable())
        thread_.join();
    state_->disconnect();
}

void SnapshotLoader::run() {
    auto& s = *state_;
    bool lost = false;  // logged once per outage, not once per retry
    while (!stopping_) {
        try {
            if (!s.conn || !s.conn->is_open()) {
                reconnects_.fetch_add(1, std::memory_order_relaxed);
                connectAndLoad();
                if (lost) {
                    fmt::print(stderr, "store.loader.reconnected nas={} subscribers={}\n",
                               s.current->nasCount(), s.current->subscriberCount());
                    lost = false;
                }
            }
            // Short waits so stop() is prompt; a notification wakes us at once.
            s.conn->await_notification(0, 200000);
            while (s.conn->get_notifs() > 0) {
            }
            if (s.pending.empty())
                continue;
            if (s.pending.subscribers.size() > kFullReloadThreshold) {
                s.fullReload(box_, decrypt_failures_);
                full_reloads_.fetch_add(1, std::memory_order_relaxed);
            } else {
                s.applyPending(box_, decrypt_failures_);
            }
            holder_.publish(s.current);
            publishes_.fetch_add(1, std::memory_order_relaxed);
        } catch (const std::exception& e) {
            // Lost connection or a failed query: drop the connection; the next turn
            // reconnects and reloads everything. Workers keep serving the last snapshot.
            if (!lost) {
                std::string why = e.what();
                std::replace(why.begin(), why.end(), '\n', ' ');
                fmt::print(stderr,
                           "store.loader.disconnected error=\"{}\" (serving the last "
                           "snapshot; retrying)\n",
                           why);
                lost = true;
            }
            s.disconnect();
            for (int i = 0; i < 5 && !stopping_; ++i)
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
}

LoaderStats SnapshotLoader::stats() const {
    LoaderStats st;
    st.publishes = publishes_.load(std::memory_order_relaxed);
    st.full_reloads = full_reloads_.load(std::memory_order_relaxed);
    st.decrypt_failures = decrypt_failures_.load(std::memory_order_relaxed);
    st.reconnects = reconnects_.load(std::memory_order_relaxed);
    return st;
}

}  // namespace gatehouse::store
