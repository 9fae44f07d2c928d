#include "core/store/ipam_repository.hpp"

#include "core/store/claim_retry.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <set>
#include <utility>

#include "core/store/validate.hpp"

namespace gatehouse::store {
namespace {

// pg_advisory_xact_lock key for pool definition changes: "gh_ipam" in ASCII. Serialises the
// overlap check with the insert of the new rows between nodes and operators.
constexpr long long kPoolDefinitionLock = 0x67685f6970616d;

Unexpected<StoreError> invalid(std::string_view field, std::string message) {
    return unexpected(
        StoreError{StoreErrorKind::kInvalid, std::string(field), std::move(message), 0});
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

struct ParsedItem {
    IpRange range;
    std::string text;
};

Expected<ParsedItem, StoreError> parseItem(std::string_view item, std::string_view field) {
    ParsedItem out;
    out.text = std::string(item);
    auto address = [&](std::string_view part) -> Expected<uint32_t, StoreError> {
        auto ip = parseIpv4(part, field);
        if (!ip)
            return invalid(field, "invalid IPv4 address '" + std::string(trim(part)) + "' in '" +
                                      out.text + "'");
        return *ip;
    };
    if (auto slash = item.find('/'); slash != std::string_view::npos) {
        auto base = address(item.substr(0, slash));
        if (!base)
            return unexpected(base.error());
        std::string_view len_text = trim(item.substr(slash + 1));
        auto len = parseInt(len_text, field, 0, 32);
        if (!len || len_text.empty() || len_text[0] == '+' || len_text[0] == '-')
            return invalid(field, "invalid prefix length '" + std::string(len_text) + "' in '" +
                                      out.text + "' (expected 0..32)");
        const uint32_t mask = *len == 0 ? 0 : ~uint32_t{0} << (32 - *len);
        const uint32_t net = *base & mask;
        if (net != *base)
            return invalid(field, "'" + out.text + "' has host bits set (did you mean '" +
                                      formatIpv4(net) + "/" + std::to_string(*len) + "'?)");
        const uint32_t broadcast = net | ~mask;
        // Up to /30 the network and broadcast addresses are left out: many CPEs and OSes refuse
        // an x.x.x.0 or x.x.x.255 address. RFC 3021: both addresses of a /31 are hosts.
        if (*len <= 30)
            out.range = IpRange{net + 1, broadcast - 1};
        else
            out.range = IpRange{net, broadcast};
        return out;
    }
    if (auto dash = item.find('-'); dash != std::string_view::npos) {
        auto first = address(item.substr(0, dash));
        if (!first)
            return unexpected(first.error());
        auto last = address(item.substr(dash + 1));
        if (!last)
            return unexpected(last.error());
        if (*first > *last)
            return invalid(field, "'" + out.text + "' ends before it starts");
        out.range = IpRange{*first, *last};
        return out;
    }
    auto one = address(item);
    if (!one)
        return unexpected(one.error());
    out.range = IpRange{*one, *one};
    return out;
}

/// "{1,2,3}": a bigint[] literal for exec_params.
std::string bigintArray(const std::vector<int64_t>& values) {
    std::string out = "{";
    for (size_t i = 0; i < values.size(); ++i) {
        if (i != 0)
            out += ',';
        out += std::to_string(values[i]);
    }
    out += '}';
    return out;
}

std::pair<std::string, std::string> rangeArrays(const std::vector<IpRange>& ranges) {
    std::vector<int64_t> lo;
    std::vector<int64_t> hi;
    for (const auto& r : ranges) {
        lo.push_back(r.first);
        hi.push_back(r.last);
    }
    return {bigintArray(lo), bigintArray(hi)};
}

std::optional<int64_t> optionalId(const pqxx::field& f) {
    if (f.is_null())
        return std::nullopt;
    return f.as<int64_t>();
}

std::string textOr(const pqxx::field& f, std::string fallback = {}) {
    return f.is_null() ? fallback : f.as<std::string>();
}

Expected<void, StoreError> checkPoolName(std::string_view name) {
    if (name.empty())
        return invalid("name", "must not be empty");
    if (name.size() > 64)
        return invalid("name", "longer than 64 characters");
    for (char c : name) {
        // RouterOS pool names are plain words; a comma or a space would break a ranges list
        // or a Framed-Pool reply.
        if (static_cast<unsigned char>(c) <= ' ' || c == ',' || c == 0x7f)
            return invalid(
                "name", "'" + std::string(name) + "' contains a space, comma or control character");
    }
    return {};
}

// SQL fragment: the address row p lies inside one of the ranges in $2 (first) and $3 (last).
constexpr const char* kInsideRanges =
    "EXISTS (SELECT 1 FROM unnest($2::bigint[], $3::bigint[]) r(lo, hi)"
    " WHERE p.ip - '0.0.0.0'::inet BETWEEN r.lo AND r.hi)";

}  // namespace

Expected<std::vector<IpRange>, StoreError> parsePoolRanges(std::string_view text,
                                                           std::string_view field) {
    if (trim(text).empty())
        return invalid(field, "must not be empty");
    std::vector<ParsedItem> items;
    size_t pos = 0;
    for (;;) {
        size_t comma = text.find(',', pos);
        std::string_view item =
            trim(text.substr(pos, comma == std::string_view::npos ? comma : comma - pos));
        if (item.empty())
            return invalid(field, "empty item in '" + std::string(text) + "'");
        auto parsed = parseItem(item, field);
        if (!parsed)
            return unexpected(parsed.error());
        items.push_back(std::move(*parsed));
        if (comma == std::string_view::npos)
            break;
        pos = comma + 1;
    }
    std::sort(items.begin(), items.end(), [](const ParsedItem& a, const ParsedItem& b) {
        return a.range.first < b.range.first;
    });
    uint64_t total = 0;
    std::vector<IpRange> ranges;
    for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0 && items[i].range.first <= items[i - 1].range.last)
            return invalid(field, "'" + items[i].text + "' overlaps '" + items[i - 1].text + "'");
        total += items[i].range.size();
        ranges.push_back(items[i].range);
    }
    if (total > kMaxPoolAddresses)
        return invalid(field, std::to_string(total) + " addresses in '" + std::string(text) +
                                  "'; at most " + std::to_string(kMaxPoolAddresses) + " per pool");
    return ranges;
}

std::string formatPoolRanges(const std::vector<IpRange>& ranges) {
    std::string out;
    for (const auto& r : ranges) {
        if (!out.empty())
            out += ',';
        out += formatIpv4(r.first);
        if (r.last != r.first)
            out += "-" + formatIpv4(r.last);
    }
    return out;
}

Expected<PoolChange, StoreError> upsertPool(pqxx::connection& conn, const PoolInput& in) {
    try {
        pqxx::work txn(conn);
        auto change = upsertPool(txn, in);
        if (change)
            txn.commit();
        return change;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<PoolChange, StoreError> upsertPool(pqxx::work& txn, const PoolInput& in) {
    if (auto ok = checkPoolName(in.name); !ok)
        return unexpected(ok.error());
    if (in.source != "manual" && in.source != "mikrotik")
        return invalid("source",
                       "unknown source '" + in.source + "' (expected manual or mikrotik)");
    auto ranges = parsePoolRanges(in.ranges, "ranges");
    if (!ranges)
        return unexpected(ranges.error());
    auto [lo, hi] = rangeArrays(*ranges);
    PoolChange change;
    for (const auto& r : *ranges)
        change.size += r.size();
    try {
        txn.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kPoolDefinitionLock) + ")");
        std::optional<int64_t> nas_id;
        if (!in.nas.empty()) {
            auto r = txn.exec_params("SELECT id FROM nas_devices WHERE name = $1", in.nas);
            if (r.empty())
                return unexpected(StoreError{StoreErrorKind::kUnknownReference, "nas",
                                             "no NAS named '" + in.nas + "'", 0});
            nas_id = r[0][0].as<int64_t>();
        }
        const std::string nas_sql = nas_id ? std::to_string(*nas_id) : "NULL";
        auto overlap = txn.exec_params(
            "SELECT p.pool_name, host(p.ip) FROM ip_pool_assignments p"
            " JOIN unnest($2::bigint[], $3::bigint[]) r(lo, hi)"
            "   ON p.ip BETWEEN '0.0.0.0'::inet + r.lo AND '0.0.0.0'::inet + r.hi"
            " WHERE p.pool_name <> $1 ORDER BY p.ip LIMIT 1",
            in.name, lo, hi);
        if (!overlap.empty())
            return unexpected(StoreError{StoreErrorKind::kDuplicate, "ranges",
                                         "'" + overlap[0][1].as<std::string>() +
                                             "' is already in pool '" +
                                             overlap[0][0].as<std::string>() + "'",
                                         0});
        change.created = txn.exec_params(
                                "INSERT INTO ip_pools (name, nas_id, source, ranges)"
                                " VALUES ($1, " +
                                    nas_sql +
                                    ", $2, $3) ON CONFLICT (name) DO UPDATE SET"
                                    " nas_id = EXCLUDED.nas_id, source = EXCLUDED.source,"
                                    " ranges = EXCLUDED.ranges RETURNING xmax = 0",
                                in.name, in.source, in.ranges)[0][0]
                             .as<bool>();
        change.added = txn.exec_params(
                              "INSERT INTO ip_pool_assignments (pool_name, ip, nas_id)"
                              " SELECT $1, '0.0.0.0'::inet + g, " +
                                  nas_sql +
                                  " FROM unnest($2::bigint[], $3::bigint[]) r(lo, hi),"
                                  " generate_series(r.lo, r.hi) g"
                                  " ON CONFLICT (ip) DO NOTHING",
                              in.name, lo, hi)
                           .affected_rows();
        txn.exec_params("UPDATE ip_pool_assignments p SET nas_id = " + nas_sql +
                            ", retired = false, updated_at = now()"
                            " WHERE p.pool_name = $1 AND (p.retired OR p.nas_id IS DISTINCT FROM " +
                            nas_sql + ") AND " + kInsideRanges,
                        in.name, lo, hi);
        change.removed = txn.exec_params(
                                "DELETE FROM ip_pool_assignments p"
                                " WHERE p.pool_name = $1 AND p.status <> 'in_use'"
                                " AND NOT " +
                                    std::string(kInsideRanges),
                                in.name, lo, hi)
                             .affected_rows();
        // An address in use is never taken from its session: it leaves the pool when released.
        auto retired = txn.exec_params(
            "WITH u AS (UPDATE ip_pool_assignments p SET retired = true,"
            " updated_at = now() WHERE p.pool_name = $1"
            " AND p.status = 'in_use' AND NOT " +
                std::string(kInsideRanges) + " RETURNING p.ip) SELECT host(ip) FROM u ORDER BY ip",
            in.name, lo, hi);
        for (const auto& row : retired)
            change.retired_in_use.push_back(row[0].as<std::string>());
        return change;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<void, StoreError> deletePool(pqxx::connection& conn, std::string_view name) {
    try {
        pqxx::work txn(conn);
        auto done = deletePool(txn, name);
        if (done)
            txn.commit();
        return done;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<void, StoreError> deletePool(pqxx::work& txn, std::string_view name) {
    try {
        txn.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kPoolDefinitionLock) + ")");
        const std::string pool(name);
        // Locking the rows keeps a concurrent claim from taking one between check and delete.
        auto rows = txn.exec_params(
            "SELECT host(ip), status FROM ip_pool_assignments WHERE pool_name = $1"
            " ORDER BY ip FOR UPDATE",
            pool);
        auto defined = txn.exec_params("SELECT 1 FROM ip_pools WHERE name = $1", pool);
        if (rows.empty() && defined.empty())
            return unexpected(
                StoreError{StoreErrorKind::kNotFound, "pool", "no pool named '" + pool + "'", 0});
        std::vector<std::string> in_use;
        for (const auto& row : rows)
            if (row[1].as<std::string>() == "in_use")
                in_use.push_back(row[0].as<std::string>());
        if (!in_use.empty()) {
            std::string list;
            for (size_t i = 0; i < in_use.size() && i < 5; ++i)
                list += (i == 0 ? "" : ", ") + in_use[i];
            if (in_use.size() > 5)
                list += ", ...";
            return unexpected(StoreError{StoreErrorKind::kInUse, "pool",
                                         "'" + pool + "' has " + std::to_string(in_use.size()) +
                                             " address(es) in use (" + list + ")",
                                         0});
        }
        txn.exec_params("DELETE FROM ip_pool_assignments WHERE pool_name = $1", pool);
        txn.exec_params("DELETE FROM ip_pools WHERE name = $1", pool);
        return {};
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

const char* toString(ClaimErrorKind k) {
    switch (k) {
        case ClaimErrorKind::kExhausted:
            return "exhausted";
        case ClaimErrorKind::kUnknownPool:
            return "unknown pool";
        case ClaimErrorKind::kWrongNas:
            return "pool bound to another NAS";
        case ClaimErrorKind::kNotFree:
            return "address not free";
        case ClaimErrorKind::kDatabase:
            return "database error";
    }
    return "error";
}

Expected<IpClaim, ClaimError> claimIp(pqxx::connection& conn, std::string_view pool,
                                      int64_t subscriber_id, std::optional<int64_t> nas_id) {
    const std::string pool_name(pool);
    auto fail = [&](ClaimErrorKind kind, std::string detail) {
        return unexpected(ClaimError{kind, pool_name, "pool '" + pool_name + "': " + detail});
    };
    return withClaimRetries(
        [&]() -> Expected<IpClaim, ClaimError> {
            // One statement in autocommit: the function is the transaction (its locks last
            // until it returns), and BEGIN and COMMIT would be two more round trips.
            pqxx::nontransaction txn(conn);
            auto row = txn.exec_params1(
                "SELECT host(claimed), outcome FROM gh_ip_claim($1, $2, NULLIF($3::bigint, 0))",
                pool_name, subscriber_id, nas_id.value_or(0));
            const std::string outcome = row[1].as<std::string>();
            if (outcome == "current" || outcome == "last" || outcome == "new") {
                IpClaim claim;
                claim.ip = row[0].as<std::string>();
                claim.source = outcome == "current" ? ClaimSource::kCurrent
                               : outcome == "last"  ? ClaimSource::kLast
                                                    : ClaimSource::kNew;
                return claim;
            }
            if (outcome == "exhausted")
                return fail(ClaimErrorKind::kExhausted, "exhausted");
            if (outcome == "unknown_pool")
                return fail(ClaimErrorKind::kUnknownPool, "no such pool");
            if (outcome == "wrong_nas")
                return fail(ClaimErrorKind::kWrongNas, "bound to another NAS");
            return fail(ClaimErrorKind::kDatabase, "unexpected outcome '" + outcome + "'");
        },
        [&](std::string message) {
            return ClaimError{ClaimErrorKind::kDatabase, pool_name,
                              "pool '" + pool_name + "': " + std::move(message)};
        });
}

// The release the accounting writer does on Stop (status available, no owner); the trigger of
// migration 005 records the last owner. A retired address then leaves its pool (a second
// statement: a DELETE in a sibling CTE would not see the UPDATE's row version).
uint64_t releaseWhere(pqxx::work& txn, const std::string& condition, int64_t subscriber_id,
                      const std::string& arg) {
    auto rel = txn.exec_params(
        "UPDATE ip_pool_assignments p SET status = 'available', subscriber_id = NULL,"
        " assigned_at = NULL, updated_at = now()"
        " WHERE p.subscriber_id = $1 AND p.status = 'in_use' AND " +
            condition + " RETURNING p.id, p.retired",
        subscriber_id, arg);
    std::vector<int64_t> retired;
    for (const auto& row : rel)
        if (row[1].as<bool>())
            retired.push_back(row[0].as<int64_t>());
    if (!retired.empty())
        txn.exec_params("DELETE FROM ip_pool_assignments WHERE id = ANY($1::bigint[])",
                        bigintArray(retired));
    return rel.size();
}

Expected<bool, StoreError> releaseIp(pqxx::connection& conn, int64_t subscriber_id,
                                     std::string_view ip) {
    auto addr = parseIpv4(ip, "ip");
    if (!addr)
        return unexpected(addr.error());
    try {
        pqxx::work txn(conn);
        auto n = releaseWhere(txn, "p.ip = $2::inet", subscriber_id, formatIpv4(*addr));
        txn.commit();
        return n > 0;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<uint64_t, StoreError> releaseSubscriberIps(pqxx::connection& conn, int64_t subscriber_id,
                                                    std::string_view pool) {
    try {
        pqxx::work txn(conn);
        auto n =
            releaseWhere(txn, "($2 = '' OR p.pool_name = $2)", subscriber_id, std::string(pool));
        txn.commit();
        return n;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

uint64_t releaseSubscriberIpsWithoutSession(pqxx::work& txn, int64_t subscriber_id) {
    // releaseWhere binds a second parameter ($2); this condition needs none, so it is ''.
    return releaseWhere(txn,
                        "$2 = '' AND NOT EXISTS (SELECT 1 FROM radacct o"
                        " WHERE o.acctstoptime IS NULL AND o.framedipaddress = p.ip)",
                        subscriber_id, std::string());
}

Expected<IpClaim, ClaimError> claimIpExact(pqxx::connection& conn, std::string_view pool,
                                           int64_t subscriber_id, std::optional<int64_t> nas_id,
                                           std::string_view ip) {
    const std::string pool_name(pool);
    auto fail = [&](ClaimErrorKind kind, std::string detail) {
        return unexpected(ClaimError{kind, pool_name, "pool '" + pool_name + "': " + detail});
    };
    auto addr = parseIpv4(ip, "ip");
    if (!addr)
        return fail(ClaimErrorKind::kNotFree, "invalid IPv4 address '" + std::string(ip) + "'");
    const std::string address = formatIpv4(*addr);
    try {
        pqxx::work txn(conn);
        auto defined = txn.exec_params("SELECT nas_id FROM ip_pools WHERE name = $1", pool_name);
        if (defined.empty() &&
            txn.exec_params("SELECT 1 FROM ip_pool_assignments WHERE pool_name = $1 LIMIT 1",
                            pool_name)
                .empty())
            return fail(ClaimErrorKind::kUnknownPool, "no such pool");
        if (nas_id && !defined.empty() && !defined[0][0].is_null() &&
            defined[0][0].as<int64_t>() != *nas_id)
            return fail(ClaimErrorKind::kWrongNas, "bound to another NAS");
        // The per-subscriber lock of gh_ip_claim (migration 005), then the row's own lock: a
        // concurrent claim of this address finishes first and is then seen.
        txn.exec_params("SELECT pg_advisory_xact_lock(1734895984, ($1::bigint % 2147483647)::int)",
                        subscriber_id);
        auto row = txn.exec_params(
            "SELECT status, subscriber_id, gh_ip_taken_elsewhere(ip, $3) FROM ip_pool_assignments"
            " WHERE pool_name = $1 AND ip = $2::inet AND NOT retired FOR UPDATE",
            pool_name, address, subscriber_id);
        if (row.empty())
            return fail(ClaimErrorKind::kNotFree, address + " is not in the pool");
        const std::string status = row[0][0].as<std::string>();
        const auto owner = optionalId(row[0][1]);
        IpClaim claim;
        claim.ip = address;
        if (status == "in_use" && owner == subscriber_id) {
            txn.exec_params(
                "UPDATE ip_pool_assignments SET assigned_at = now(), updated_at = now()"
                " WHERE ip = $1::inet",
                address);
            claim.source = ClaimSource::kCurrent;
        } else if (status == "available" && !row[0][2].as<bool>()) {
            releaseWhere(txn, "p.pool_name = $2", subscriber_id, pool_name);
            txn.exec_params(
                "UPDATE ip_pool_assignments SET status = 'in_use', subscriber_id = $2,"
                " assigned_at = now(), updated_at = now() WHERE ip = $1::inet",
                address, subscriber_id);
            claim.source = ClaimSource::kNew;
        } else {
            return fail(ClaimErrorKind::kNotFree, address + " is not free");
        }
        txn.commit();
        return claim;
    } catch (const std::exception& e) {
        std::string msg = e.what();
        while (!msg.empty() && msg.back() == '\n')
            msg.pop_back();
        return fail(ClaimErrorKind::kDatabase, msg);
    }
}

const char* toString(SyncChange::Kind k) {
    switch (k) {
        case SyncChange::Kind::kAdopted:
            return "adopted";
        case SyncChange::Kind::kReleased:
            return "released";
        case SyncChange::Kind::kRemoved:
            return "removed";
        case SyncChange::Kind::kConflict:
            return "conflict";
    }
    return "?";
}

// In use, no open session holds it, claimed longer ago than the grace time. SKIP LOCKED: a row
// locked right now is being claimed (its claim time is about to be refreshed).
constexpr const char* kStaleHeld = R"SQL(
SELECT p.id, p.pool_name, host(p.ip), p.subscriber_id FROM ip_pool_assignments p
WHERE p.status = 'in_use'
  AND (p.assigned_at IS NULL OR p.assigned_at < now() - make_interval(mins => $1::int))
  AND NOT EXISTS (SELECT 1 FROM radacct r
                  WHERE r.acctstoptime IS NULL AND r.framedipaddress = p.ip)
ORDER BY p.ip
FOR UPDATE OF p SKIP LOCKED
)SQL";

// Pool addresses that open sessions use, unless already owned as they should be.
// (subs: distinct known subscribers; anon: a session without a known subscriber.)
constexpr const char* kSessionHeld = R"SQL(
WITH s AS (
    SELECT r.framedipaddress AS ip, count(DISTINCT r.subscriber_id) AS subs,
           min(r.subscriber_id) AS sub, bool_or(r.subscriber_id IS NULL) AS anon,
           extract(epoch FROM min(r.acctstarttime))::bigint AS started
    FROM radacct r
    WHERE r.acctstoptime IS NULL AND r.framedipaddress IS NOT NULL
    GROUP BY r.framedipaddress
)
SELECT p.id, p.pool_name, host(p.ip), p.status, p.subscriber_id, s.subs, s.sub, s.anon, s.started,
       (SELECT host(o.ip) FROM ip_pool_assignments o
        WHERE o.pool_name = p.pool_name AND o.subscriber_id = s.sub AND o.id <> p.id LIMIT 1)
FROM s JOIN ip_pool_assignments p ON p.ip = s.ip
WHERE NOT (p.status = 'in_use' AND s.subs = 1 AND NOT s.anon
           AND p.subscriber_id IS NOT DISTINCT FROM s.sub)
  AND NOT (p.status = 'in_use' AND s.subs = 0 AND p.subscriber_id IS NULL)
ORDER BY p.ip
FOR UPDATE OF p
)SQL";

Expected<std::vector<SyncChange>, StoreError> syncFromSessions(pqxx::connection& conn,
                                                               std::chrono::minutes grace) {
    std::vector<SyncChange> changes;
    try {
        pqxx::work txn(conn);
        auto stale = txn.exec_params(kStaleHeld, static_cast<int64_t>(grace.count()));
        std::vector<int64_t> ids;
        for (const auto& row : stale) {
            ids.push_back(row[0].as<int64_t>());
            changes.push_back({SyncChange::Kind::kReleased, row[1].as<std::string>(),
                               row[2].as<std::string>(), optionalId(row[3]), "no open session"});
        }
        if (!ids.empty())
            txn.exec_params(
                "UPDATE ip_pool_assignments SET status = 'available', subscriber_id = NULL,"
                " assigned_at = NULL, updated_at = now() WHERE id = ANY($1::bigint[])",
                bigintArray(ids));

        auto removed = txn.exec(
            "DELETE FROM ip_pool_assignments WHERE retired AND status = 'available'"
            " RETURNING pool_name, host(ip)");
        for (const auto& row : removed)
            changes.push_back({SyncChange::Kind::kRemoved, row[0].as<std::string>(),
                               row[1].as<std::string>(), std::nullopt,
                               "outside the pool's ranges"});

        auto held = txn.exec(kSessionHeld);
        std::vector<int64_t> adopt_ids;
        std::vector<std::string> adopt_subs;
        std::vector<int64_t> adopt_started;
        std::set<std::pair<std::string, int64_t>> adopted_owner;  // (pool, subscriber)
        for (const auto& row : held) {
            const int64_t id = row[0].as<int64_t>();
            std::string pool = row[1].as<std::string>();
            std::string ip = row[2].as<std::string>();
            const std::string status = row[3].as<std::string>();
            const std::optional<int64_t> owner = optionalId(row[4]);
            const int64_t subs = row[5].as<int64_t>();
            const std::optional<int64_t> sub = optionalId(row[6]);
            const bool anon = row[7].as<bool>();
            const int64_t started = row[8].is_null() ? 0 : row[8].as<int64_t>();
            const std::string other = textOr(row[9]);
            auto conflict = [&](std::string why) {
                changes.push_back({SyncChange::Kind::kConflict, pool, ip, sub, std::move(why)});
            };
            if (subs > 1 || (subs == 1 && anon)) {
                conflict("open sessions of " + std::to_string(subs + (anon ? 1 : 0)) +
                         " subscribers use it");
                continue;
            }
            if (status == "reserved") {
                conflict("reserved");
                continue;
            }
            if (owner && owner != sub) {
                conflict("held by subscriber " + std::to_string(*owner));
                continue;
            }
            if (sub && !other.empty()) {
                conflict("subscriber " + std::to_string(*sub) + " holds " + other +
                         " of this pool");
                continue;
            }
            if (sub && !adopted_owner.emplace(pool, *sub).second) {
                conflict("subscriber " + std::to_string(*sub) +
                         " has open sessions on two addresses of this pool");
                continue;
            }
            adopt_ids.push_back(id);
            adopt_subs.push_back(sub ? std::to_string(*sub) : "NULL");
            adopt_started.push_back(started);
            changes.push_back({SyncChange::Kind::kAdopted, pool, ip, sub,
                               sub ? "open session" : "open session of an unknown subscriber"});
        }
        if (!adopt_ids.empty()) {
            std::string subs = "{";
            for (size_t i = 0; i < adopt_subs.size(); ++i)
                subs += (i == 0 ? "" : ",") + adopt_subs[i];
            subs += "}";
            txn.exec_params(
                "UPDATE ip_pool_assignments p SET status = 'in_use', subscriber_id = u.sub,"
                " assigned_at = CASE WHEN u.started > 0 THEN to_timestamp(u.started) ELSE now() "
                "END,"
                " updated_at = now()"
                " FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) u(id, sub, started)"
                " WHERE p.id = u.id",
                bigintArray(adopt_ids), subs, bigintArray(adopt_started));
        }
        txn.commit();
        return changes;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

namespace {

// Pools with a definition and pools that exist only as address rows (an older importer).
constexpr const char* kUsage = R"SQL(
WITH names AS (
    SELECT name FROM ip_pools
    UNION
    SELECT DISTINCT pool_name FROM ip_pool_assignments
)
SELECT n.name, COALESCE(d.ranges, ''), COALESCE(nd.name, ''), COALESCE(d.source, 'manual'),
       count(a.id) FILTER (WHERE NOT a.retired),
       count(a.id) FILTER (WHERE NOT a.retired AND a.status = 'in_use'),
       count(a.id) FILTER (WHERE NOT a.retired AND a.status = 'available'),
       count(a.id) FILTER (WHERE NOT a.retired AND a.status = 'reserved'),
       count(a.id) FILTER (WHERE a.retired)
FROM names n
LEFT JOIN ip_pools d ON d.name = n.name
LEFT JOIN nas_devices nd ON nd.id = d.nas_id
LEFT JOIN ip_pool_assignments a ON a.pool_name = n.name
WHERE ($1 = '' OR n.name = $1)
GROUP BY n.name, d.ranges, nd.name, d.source
ORDER BY n.name
)SQL";

PoolUsage usageOf(const pqxx::row& row) {
    PoolUsage u;
    u.name = row[0].as<std::string>();
    u.ranges = row[1].as<std::string>();
    u.nas = row[2].as<std::string>();
    u.source = row[3].as<std::string>();
    u.size = row[4].as<uint64_t>();
    u.in_use = row[5].as<uint64_t>();
    u.available = row[6].as<uint64_t>();
    u.reserved = row[7].as<uint64_t>();
    u.retiring = row[8].as<uint64_t>();
    return u;
}

}  // namespace

Expected<std::vector<PoolUsage>, StoreError> poolUsage(pqxx::connection& conn) {
    try {
        pqxx::read_transaction txn(conn);
        auto r = txn.exec_params(kUsage, std::string());
        std::vector<PoolUsage> out;
        out.reserve(r.size());
        for (const auto& row : r)
            out.push_back(usageOf(row));
        return out;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<std::pair<PoolUsage, std::vector<PoolAddress>>, StoreError> showPool(
    pqxx::connection& conn, std::string_view name) {
    try {
        pqxx::read_transaction txn(conn);
        const std::string pool(name);
        auto usage = txn.exec_params(kUsage, pool);
        if (usage.empty())
            return unexpected(
                StoreError{StoreErrorKind::kNotFound, "pool", "no pool named '" + pool + "'", 0});
        auto r = txn.exec_params(
            "SELECT host(a.ip), a.status, a.subscriber_id, COALESCE(s.username, ''),"
            " COALESCE(to_char(a.assigned_at AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''),"
            " COALESCE(l.username, ''), a.retired"
            " FROM ip_pool_assignments a"
            " LEFT JOIN subscribers s ON s.id = a.subscriber_id"
            " LEFT JOIN subscribers l ON l.id = a.last_subscriber_id"
            " WHERE a.pool_name = $1 ORDER BY a.ip",
            pool);
        std::vector<PoolAddress> addresses;
        addresses.reserve(r.size());
        for (const auto& row : r) {
            PoolAddress a;
            a.ip = row[0].as<std::string>();
            a.status = row[1].as<std::string>();
            a.subscriber_id = optionalId(row[2]);
            a.username = row[3].as<std::string>();
            a.assigned_at = row[4].as<std::string>();
            a.last_username = row[5].as<std::string>();
            a.retired = row[6].as<bool>();
            addresses.push_back(std::move(a));
        }
        return std::make_pair(usageOf(usage[0]), std::move(addresses));
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

}  // namespace gatehouse::store
