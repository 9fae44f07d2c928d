#include "core/jobs/mikrotik_sync.hpp"

#include <arpa/inet.h>
#include <fmt/core.h>

#include <cctype>
#include <cstdio>
#include <map>
#include <pqxx/pqxx>
#include <set>

#include "core/store/ipam_repository.hpp"

namespace gatehouse::jobs {
namespace {

using Kind = MikrotikChange::Kind;

// RouterOS prints "10.0.0.2-10.0.0.254,10.1.0.0/24"; older versions put spaces after commas.
// parsePoolRanges takes the same items, so only the blanks go.
std::string routerRanges(std::string_view text) {
    std::string out;
    for (char c : text)
        if (!std::isspace(static_cast<unsigned char>(c)))
            out += c;
    return out;
}

// A PostgreSQL text[] literal: every element quoted, '"' and '\' escaped.
std::string textArray(const std::vector<std::string>& items) {
    std::string out = "{";
    for (size_t i = 0; i < items.size(); ++i) {
        out += i == 0 ? "\"" : ",\"";
        for (char c : items[i]) {
            if (c == '"' || c == '\\')
                out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

bool isIpv4(const std::string& text) {
    in_addr a{};
    return inet_pton(AF_INET, text.c_str(), &a) == 1;
}

// Closes what radacct has open on the NAS and the router does not list (see applyActive), and
// releases the address of each closed session when no other open session uses it.
constexpr const char* kCloseUnlisted = R"SQL(
WITH listed AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::text[]) AS l(name, addr, sid)
), c AS (
    UPDATE radacct r SET
        acctstoptime = now(), acctterminatecause = 'NAS-Reconcile',
        acctupdatetime = GREATEST(r.acctupdatetime, now()),
        acctsessiontime = GREATEST(r.acctsessiontime,
                                   floor(extract(epoch FROM now() - r.acctstarttime))::bigint)
    WHERE r.acctstoptime IS NULL
      AND (r.nas_id = $6 OR (r.nas_id IS NULL AND r.nasipaddress = $1::inet))
      AND r.acctstarttime < now() - make_interval(secs => $5)
      AND NOT EXISTS (
          SELECT 1 FROM listed l
          WHERE (l.sid <> '' AND l.sid = lower(regexp_replace(r.acctsessionid, '^0[xX]', '')))
             OR (l.name = r.username
                 AND (r.framedipaddress IS NULL OR l.addr = host(r.framedipaddress))))
    RETURNING r.radacctid, r.username, r.acctsessionid, r.subscriber_id, r.framedipaddress
), rel AS (
    UPDATE ip_pool_assignments p
    SET status = 'available', subscriber_id = NULL, assigned_at = NULL, updated_at = now()
    FROM c
    WHERE p.subscriber_id = c.subscriber_id AND p.ip = c.framedipaddress AND p.status = 'in_use'
      AND NOT EXISTS (SELECT 1 FROM radacct o
                      WHERE o.acctstoptime IS NULL AND o.framedipaddress = c.framedipaddress
                        AND o.radacctid NOT IN (SELECT radacctid FROM c))
    RETURNING p.ip, p.pool_name
)
SELECT c.username, c.acctsessionid, COALESCE(host(c.framedipaddress), ''),
       COALESCE(rel.pool_name, '')
FROM c LEFT JOIN rel ON rel.ip = c.framedipaddress
ORDER BY c.username, c.acctsessionid
)SQL";

// The pool rows of the listed addresses, locked, with the subscriber of the session's user and
// the other address that subscriber already holds in the same pool.
constexpr const char* kListedRows = R"SQL(
SELECT p.id, p.pool_name, host(p.ip), p.status, p.subscriber_id, s.id,
       (SELECT host(o.ip) FROM ip_pool_assignments o
        WHERE o.pool_name = p.pool_name AND o.subscriber_id = s.id AND o.id <> p.id LIMIT 1),
       l.name
FROM unnest($1::text[], $2::text[]) AS l(name, addr)
JOIN ip_pool_assignments p ON p.ip = l.addr::inet
LEFT JOIN subscribers s ON s.username = l.name
ORDER BY p.ip
FOR UPDATE OF p
)SQL";

std::optional<int64_t> optionalId(const pqxx::field& f) {
    if (f.is_null())
        return std::nullopt;
    return f.as<int64_t>();
}

}  // namespace

const char* toString(MikrotikChange::Kind kind) {
    switch (kind) {
        case Kind::kPoolCreated:
            return "pool_created";
        case Kind::kPoolUpdated:
            return "pool_updated";
        case Kind::kPoolDeleted:
            return "pool_deleted";
        case Kind::kPoolKept:
            return "pool_kept";
        case Kind::kPoolSkipped:
            return "pool_skipped";
        case Kind::kAdopted:
            return "adopted";
        case Kind::kConflict:
            return "conflict";
        case Kind::kClosed:
            return "closed";
    }
    return "?";
}

Expected<std::vector<MikrotikChange>, std::string> applyPools(
    pqxx::connection& conn, const NasTarget& nas,
    const std::vector<net::RouterOsClient::Pool>& pools) {
    std::vector<MikrotikChange> changes;
    try {
        // What Gatehouse has under those names, and this NAS's imported pools.
        struct Existing {
            std::string ranges, source;
            std::optional<int64_t> nas_id;
            std::string nas_name;
        };
        std::map<std::string, Existing> existing;
        {
            pqxx::read_transaction txn(conn);
            for (const auto& r :
                 txn.exec("SELECT p.name, p.ranges, p.source, p.nas_id, COALESCE(n.name, '')"
                          " FROM ip_pools p LEFT JOIN nas_devices n ON n.id = p.nas_id"))
                existing[r[0].as<std::string>()] = {r[1].as<std::string>(), r[2].as<std::string>(),
                                                    optionalId(r[3]), r[4].as<std::string>()};
        }
        std::set<std::string> seen;
        for (const auto& pool : pools) {
            const std::string ranges = routerRanges(pool.ranges);
            auto skip = [&](std::string why) {
                changes.push_back({Kind::kPoolSkipped, pool.name, std::move(why)});
            };
            if (pool.name.empty() || !seen.insert(pool.name).second)
                continue;
            auto it = existing.find(pool.name);
            if (it != existing.end()) {
                const Existing& e = it->second;
                if (e.source != "mikrotik" || e.nas_id != nas.id) {
                    skip(e.source != "mikrotik"
                             ? "name taken by a manual pool"
                             : fmt::format("name taken by the pool of NAS '{}'",
                                           e.nas_name.empty() ? "(any)" : e.nas_name));
                    continue;
                }
                if (e.ranges == ranges)
                    continue;  // unchanged: no write, no line
            }
            if (auto parsed = store::parsePoolRanges(ranges); !parsed) {
                skip(store::describe(parsed.error()));
                continue;
            }
            store::PoolInput in;
            in.name = pool.name;
            in.ranges = ranges;
            in.nas = nas.name;
            in.source = "mikrotik";
            auto done = store::upsertPool(conn, in);
            if (!done) {
                if (done.error().kind == store::StoreErrorKind::kDatabase)
                    return unexpected(store::describe(done.error()));
                skip(store::describe(done.error()));
                continue;
            }
            if (done->created) {
                changes.push_back({Kind::kPoolCreated, pool.name,
                                   fmt::format("{} addresses ({})", done->size, ranges)});
            } else {
                std::string why = fmt::format("{} addresses (+{} -{}) ({})", done->size,
                                              done->added, done->removed, ranges);
                if (!done->retired_in_use.empty())
                    why += fmt::format(", {} in use outside the ranges kept until released",
                                       done->retired_in_use.size());
                changes.push_back({Kind::kPoolUpdated, pool.name, std::move(why)});
            }
        }
        // This NAS's imported pools the router no longer has.
        for (const auto& [name, e] : existing) {
            if (e.source != "mikrotik" || e.nas_id != nas.id || seen.count(name) != 0)
                continue;
            auto gone = store::deletePool(conn, name);
            if (gone) {
                changes.push_back({Kind::kPoolDeleted, name, "no longer on the router"});
            } else if (gone.error().kind == store::StoreErrorKind::kInUse) {
                changes.push_back({Kind::kPoolKept, name,
                                   "no longer on the router; kept while addresses are in use"});
            } else if (gone.error().kind != store::StoreErrorKind::kNotFound) {
                return unexpected(store::describe(gone.error()));
            }
        }
        return changes;
    } catch (const std::exception& e) {
        return unexpected(std::string(e.what()));
    }
}

Expected<std::vector<MikrotikChange>, std::string> applyActive(
    pqxx::connection& conn, const NasTarget& nas,
    const std::vector<net::RouterOsClient::ActiveSession>& sessions, std::chrono::seconds grace) {
    std::vector<MikrotikChange> changes;
    std::vector<std::string> names, addrs, sids;
    std::vector<std::string> adopt_names, adopt_addrs;  // sessions with a usable address
    for (const auto& s : sessions) {
        const std::string addr = isIpv4(s.address) ? s.address : "";
        names.push_back(s.name);
        addrs.push_back(addr);
        sids.push_back(s.session_id ? mikrotikSessionKey(*s.session_id) : "");
        if (!addr.empty()) {
            adopt_names.push_back(s.name);
            adopt_addrs.push_back(addr);
        }
    }
    try {
        pqxx::work txn(conn);
        for (const auto& r :
             txn.exec_params(kCloseUnlisted, nas.ip, textArray(names), textArray(addrs),
                             textArray(sids), static_cast<int64_t>(grace.count()), nas.id)) {
            const std::string ip = r[2].as<std::string>();
            const std::string pool = r[3].as<std::string>();
            std::string why = fmt::format("session {}", r[1].as<std::string>());
            if (!ip.empty())
                why += " " + ip;
            why += " not in /ppp/active: closed (NAS-Reconcile)";
            if (!pool.empty())
                why += fmt::format(", released from pool '{}'", pool);
            changes.push_back({Kind::kClosed, r[0].as<std::string>(), std::move(why)});
        }

        std::vector<int64_t> adopt_ids, refresh_ids;
        std::vector<std::string> adopt_subs;
        std::set<int64_t> seen_rows;
        std::set<std::pair<std::string, int64_t>> taken;  // (pool, subscriber) adopted now
        for (const auto& r :
             txn.exec_params(kListedRows, textArray(adopt_names), textArray(adopt_addrs))) {
            const int64_t id = r[0].as<int64_t>();
            const std::string pool = r[1].as<std::string>();
            const std::string ip = r[2].as<std::string>();
            const std::string status = r[3].as<std::string>();
            const std::optional<int64_t> owner = optionalId(r[4]);
            const std::optional<int64_t> sub = optionalId(r[5]);
            const std::string other = r[6].is_null() ? "" : r[6].as<std::string>();
            const std::string user = r[7].as<std::string>();
            auto conflict = [&](const std::string& why) {
                changes.push_back({Kind::kConflict, ip,
                                   fmt::format("pool '{}', user '{}': {}", pool, user, why)});
            };
            if (!seen_rows.insert(id).second) {
                conflict("listed by two router sessions");
                continue;
            }
            if (status == "reserved") {
                conflict("reserved");
                continue;
            }
            if (owner && owner != sub) {
                conflict(fmt::format("held by subscriber {}", *owner));
                continue;
            }
            if (status == "in_use" && owner == sub) {
                refresh_ids.push_back(id);  // already right
                continue;
            }
            if (sub && !other.empty()) {
                conflict(fmt::format("subscriber {} holds {} of this pool", *sub, other));
                continue;
            }
            if (sub && !taken.emplace(pool, *sub).second) {
                conflict(
                    fmt::format("subscriber {} has router sessions on two addresses of "
                                "this pool",
                                *sub));
                continue;
            }
            adopt_ids.push_back(id);
            adopt_subs.push_back(sub ? std::to_string(*sub) : "NULL");
            changes.push_back(
                {Kind::kAdopted, ip,
                 sub ? fmt::format("pool '{}': in use by subscriber {} ('{}')", pool, *sub, user)
                     : fmt::format("pool '{}': in use by '{}' (no such subscriber)", pool, user)});
        }
        auto ids = [](const std::vector<int64_t>& v) {
            std::string out = "{";
            for (size_t i = 0; i < v.size(); ++i)
                out += (i == 0 ? "" : ",") + std::to_string(v[i]);
            return out + "}";
        };
        if (!adopt_ids.empty()) {
            std::string subs = "{";
            for (size_t i = 0; i < adopt_subs.size(); ++i)
                subs += (i == 0 ? "" : ",") + adopt_subs[i];
            subs += "}";
            txn.exec_params(
                "UPDATE ip_pool_assignments p SET status = 'in_use', subscriber_id = u.sub,"
                " assigned_at = now(), updated_at = now()"
                " FROM unnest($1::bigint[], $2::bigint[]) u(id, sub) WHERE p.id = u.id",
                ids(adopt_ids), subs);
        }
        // The router uses these: a fresh claim time keeps the ipam sync (which frees in-use
        // addresses without an open radacct session after its grace) from freeing them.
        if (!refresh_ids.empty())
            txn.exec_params(
                "UPDATE ip_pool_assignments SET assigned_at = now() WHERE id = ANY($1::bigint[])",
                ids(refresh_ids));
        txn.commit();
        return changes;
    } catch (const std::exception& e) {
        return unexpected(std::string(e.what()));
    }
}

Expected<std::vector<MikrotikChange>, std::string> importPools(pqxx::connection& conn,
                                                               net::RouterOsClient& client,
                                                               const NasTarget& nas) {
    auto pools = client.pools();
    if (!pools)
        return unexpected("/ip/pool/print: " + pools.error().text());
    return applyPools(conn, nas, *pools);
}

Expected<std::vector<MikrotikChange>, std::string> syncActive(pqxx::connection& conn,
                                                              net::RouterOsClient& client,
                                                              const NasTarget& nas,
                                                              std::chrono::seconds grace) {
    auto sessions = client.activeSessions();
    if (!sessions)
        return unexpected("/ppp/active/print: " + sessions.error().text());
    return applyActive(conn, nas, *sessions, grace);
}

Expected<std::vector<MikrotikChange>, std::string> syncNas(pqxx::connection& conn,
                                                           const NasTarget& nas,
                                                           const ApiCheckOptions& api,
                                                           std::chrono::seconds grace) {
    net::RouterOsClient client;
    if (auto c = connectApi(nas, api, client); !c)
        return unexpected(c.error());
    auto changes = importPools(conn, client, nas);
    if (!changes)
        return changes;
    auto active = syncActive(conn, client, nas, grace);
    if (!active)
        return unexpected(active.error());
    changes->insert(changes->end(), active->begin(), active->end());
    return changes;
}

MikrotikSyncJob::MikrotikSyncJob(MikrotikSyncOptions options, std::optional<crypto::SecretBox> box)
    : options_(std::move(options)), box_(std::move(box)) {}

void MikrotikSyncJob::say(const std::string& line) {
    if (options_.log)
        options_.log(line);
    else
        fmt::print(stderr, "{}\n", line);
}

Job MikrotikSyncJob::job() {
    Job j;
    j.name = "mikrotik_sync";
    j.interval = options_.interval;
    j.run = [this](const JobContext& context) { runOnce(context); };
    return j;
}

MikrotikSyncRun MikrotikSyncJob::runOnce(const JobContext& context) {
    MikrotikSyncRun run;
    pqxx::connection conn(options_.conninfo);
    for (auto& nas : loadEnabledNasTargets(conn)) {
        if (!nas.hasApi())
            continue;
        if (context.cancelled()) {
            run.cancelled = true;
            say("jobs.mikrotik_sync cancelled (no longer the leader)");
            return run;
        }
        std::string error;
        if (!box_)
            error = "no key file to open the API password with";
        else
            openApiPassword(*box_, nas, error);
        Expected<std::vector<MikrotikChange>, std::string> changes =
            error.empty() ? syncNas(conn, nas, options_.api, options_.grace)
                          : Expected<std::vector<MikrotikChange>, std::string>(unexpected(error));
        if (!changes) {
            ++run.nas_failed;
            say(fmt::format("jobs.mikrotik_sync.failed nas={} error=\"{}\"", nas.name,
                            changes.error()));
            continue;
        }
        ++run.nas_ok;
        run.changes += changes->size();
        for (const auto& c : *changes)
            say(fmt::format("jobs.mikrotik_sync nas={} {} {} {}", nas.name, toString(c.kind),
                            c.subject, c.reason));
    }
    say(fmt::format("jobs.mikrotik_sync nas_ok={} nas_failed={} changes={}", run.nas_ok,
                    run.nas_failed, run.changes));
    return run;
}

}  // namespace gatehouse::jobs
