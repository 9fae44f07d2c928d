#include "core/api/routes/pools.hpp"

#include <fmt/core.h>

#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <type_traits>
#include <vector>

#include "core/api/audit.hpp"
#include "core/api/permissions.hpp"
#include "core/api/routes/subscriber_support.hpp"
#include "core/store/ipam_repository.hpp"
#include "core/store/pg_pool.hpp"

namespace gatehouse::api {

namespace {

using nlohmann::json;

struct PoolState {
    store::PgPool* db = nullptr;
    std::shared_ptr<Authenticator> auth;

    Caller authenticate(const HttpRequest& req) {
        if (!auth || db == nullptr)
            throw unavailable("the pool routes are not configured (no database or Redis)", 5);
        return auth->authenticate(req);
    }
};

// A pool is the reseller's when it is bound to one of its NAS (reseller_nas). A pool that serves
// any NAS hands addresses to every reseller's subscribers, so it belongs to the ISP: hidden.
std::string poolScopeSql(const Caller& caller) {
    if (!caller.reseller_id)
        return "TRUE";
    return "p.nas_id IS NOT NULL AND " + nasScopeSql(caller, "nd");
}

// The definition row (ip_pools) and its NAS; the figures come from store::poolUsage/showPool.
constexpr const char* kPoolSelect =
    "SELECT p.id, p.name, p.nas_id, nd.name, p.source, p.ranges,"
    " extract(epoch FROM p.created_at)::bigint, extract(epoch FROM p.updated_at)::bigint"
    " FROM ip_pools p LEFT JOIN nas_devices nd ON nd.id = p.nas_id";

struct PoolRow {
    int64_t id = 0;
    std::string name;
    std::optional<int64_t> nas_id;
    json nas_name;
    std::string source;
    std::string ranges;
    json created_at;
    json updated_at;
};

PoolRow poolRow(const pqxx::row& r) {
    PoolRow p;
    p.id = r[0].as<int64_t>();
    p.name = r[1].as<std::string>();
    if (!r[2].is_null())
        p.nas_id = r[2].as<int64_t>();
    p.nas_name = r[3].is_null() ? json(nullptr) : json(r[3].as<std::string>());
    p.source = r[4].as<std::string>();
    p.ranges = r[5].as<std::string>();
    p.created_at = routes::isoOrNull(r[6]);
    p.updated_at = routes::isoOrNull(r[7]);
    return p;
}

// What the audit log keeps: the definition, not the moving figures.
json definitionJson(const PoolRow& p) {
    return {{"name", p.name},
            {"nas_id", p.nas_id ? json(*p.nas_id) : json(nullptr)},
            {"source", p.source},
            {"ranges", p.ranges}};
}

json poolJson(const PoolRow& p, const store::PoolUsage* usage) {
    json out = {{"id", p.id},
                {"name", p.name},
                {"nas_id", p.nas_id ? json(*p.nas_id) : json(nullptr)},
                {"nas_name", p.nas_name},
                {"source", p.source},
                {"ranges", p.ranges},
                {"size", usage ? usage->size : 0},
                {"in_use", usage ? usage->in_use : 0},
                {"free", usage ? usage->available : 0},
                {"reserved", usage ? usage->reserved : 0},
                {"retiring", usage ? usage->retiring : 0},
                {"created_at", p.created_at},
                {"updated_at", p.updated_at}};
    return out;
}

json changeJson(const store::PoolChange& c) {
    return {{"created", c.created},
            {"added", c.added},
            {"removed", c.removed},
            {"retired_in_use", c.retired_in_use}};
}

std::optional<PoolRow> findPool(pqxx::transaction_base& txn, const Caller& caller,
                                const std::string& condition) {
    auto r =
        txn.exec(std::string(kPoolSelect) + " WHERE " + condition + " AND " + poolScopeSql(caller));
    if (r.empty())
        return std::nullopt;
    return poolRow(r[0]);
}

PoolRow visiblePool(pqxx::transaction_base& txn, const Caller& caller, int64_t id) {
    auto p = findPool(txn, caller, "p.id = " + std::to_string(id));
    if (!p)
        throw ApiError::notFound("pool not found");
    return *p;
}

// "{a,b}": an array literal for exec_params (libpqxx 6 has no array parameters). The items are
// addresses from host() and decimal ids: nothing to quote.
template <class T>
std::string arrayLiteral(const std::vector<T>& items) {
    std::string out = "{";
    for (size_t i = 0; i < items.size(); ++i) {
        if (i != 0)
            out += ',';
        if constexpr (std::is_same_v<T, std::string>)
            out += items[i];
        else
            out += std::to_string(items[i]);
    }
    return out + "}";
}

std::optional<std::string> stringMember(const json& body, const char* field, bool required) {
    auto it = body.find(field);
    if (it == body.end()) {
        if (required)
            throw ApiError::invalid(field, fmt::format("{} is required", field));
        return std::nullopt;
    }
    if (!it->is_string())
        throw ApiError::invalid(field, fmt::format("{} must be a string", field));
    return it->get<std::string>();
}

// nas_id from a body: absent (nullopt), null (unbound: any NAS) or a NAS the caller sees. A
// reseller's pools are bound to its own NAS (see poolScopeSql), so it cannot unbind one.
struct NasChoice {
    std::optional<int64_t> id;
    std::string name;  // "" unbound, as store::PoolInput::nas
};
std::optional<NasChoice> nasMember(pqxx::transaction_base& txn, const Caller& caller,
                                   const json& body) {
    auto it = body.find("nas_id");
    if (it == body.end())
        return std::nullopt;
    if (it->is_null()) {
        if (caller.reseller_id)
            throw ApiError::invalid("nas_id", "a reseller's pool must be bound to one of its NAS");
        return NasChoice{};
    }
    if (!it->is_number_integer() || it->get<int64_t>() <= 0)
        throw ApiError::invalid("nas_id", "nas_id must be a NAS id or null");
    const int64_t id = it->get<int64_t>();
    auto r = txn.exec("SELECT n.name FROM nas_devices n WHERE n.id = " + std::to_string(id) +
                      " AND " + nasScopeSql(caller, "n"));
    if (r.empty())
        throw ApiError::invalid("nas_id", fmt::format("no NAS with id {}", id));
    return NasChoice{id, r[0][0].as<std::string>()};
}

std::optional<store::PoolUsage> usageOf(pqxx::connection& conn, const std::string& name) {
    auto shown = store::showPool(conn, name);
    if (!shown) {
        if (shown.error().kind == store::StoreErrorKind::kNotFound)
            return std::nullopt;
        throwStoreError(shown.error());
    }
    return std::move(shown->first);
}

HttpResponse listRoute(PoolState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("pools.view");
    const PageRequest page = pageRequest(req);
    const std::string q = req.queryOr("q");

    auto lease = s.db->acquire();
    std::vector<PoolRow> rows;
    int64_t total = 0;
    {
        pqxx::read_transaction txn(*lease);
        std::string where = " WHERE " + poolScopeSql(caller);
        if (!q.empty())
            where += " AND p.name ILIKE " + txn.quote("%" + likeEscaped(q) + "%");
        total = txn.exec1(
                       "SELECT count(*) FROM ip_pools p LEFT JOIN nas_devices nd"
                       " ON nd.id = p.nas_id" +
                       where)[0]
                    .as<int64_t>();
        for (const auto& r :
             txn.exec(std::string(kPoolSelect) + where + " ORDER BY p.name LIMIT " +
                      std::to_string(page.per_page) + " OFFSET " + std::to_string(page.offset())))
            rows.push_back(poolRow(r));
        txn.commit();
    }
    // The figures as `gatehouse pool list` counts them (one pass over the address rows).
    std::map<std::string, store::PoolUsage> usage;
    if (!rows.empty())
        for (auto& u : valueOrThrow(store::poolUsage(*lease)))
            usage.emplace(u.name, std::move(u));
    json items = json::array();
    for (const auto& p : rows) {
        auto it = usage.find(p.name);
        items.push_back(poolJson(p, it == usage.end() ? nullptr : &it->second));
    }
    return HttpResponse::json(200, pageJson(std::move(items), total, page));
}

HttpResponse showRoute(PoolState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("pools.view");
    const int64_t id = pathId(req, "pool");
    const PageRequest page = pageRequest(req);

    auto lease = s.db->acquire();
    PoolRow pool;
    {
        pqxx::read_transaction txn(*lease);
        pool = visiblePool(txn, caller, id);
        txn.commit();
    }
    auto shown = store::showPool(*lease, pool.name);
    if (!shown)
        throwStoreError(shown.error());
    // Held addresses only (in use, or reserved by the operator): the free ones are the rest.
    std::vector<const store::PoolAddress*> held;
    for (const auto& a : shown->second)
        if (a.status != "available")
            held.push_back(&a);
    const auto total = static_cast<int64_t>(held.size());
    const int64_t first = std::min<int64_t>(page.offset(), total);
    const int64_t last = std::min<int64_t>(first + page.per_page, total);

    std::vector<std::string> ips;
    std::vector<int64_t> owners;
    for (int64_t i = first; i < last; ++i) {
        ips.push_back(held[i]->ip);
        if (held[i]->subscriber_id)
            owners.push_back(*held[i]->subscriber_id);
    }
    std::map<std::string, int64_t> session_of;
    std::set<int64_t> visible_owners;
    if (!ips.empty()) {
        pqxx::read_transaction txn(*lease);
        // The open session using the address, if any (the newest, should a NAS have left two).
        for (const auto& r : txn.exec_params(
                 "SELECT host(framedipaddress), max(radacctid) FROM radacct"
                 " WHERE acctstoptime IS NULL AND framedipaddress = ANY($1::inet[]) GROUP BY 1",
                 arrayLiteral(ips)))
            session_of[r[0].as<std::string>()] = r[1].as<int64_t>();
        // Subscribers of other resellers may use a reseller's NAS: their names stay hidden.
        if (!owners.empty())
            for (const auto& r :
                 txn.exec_params("SELECT s.id FROM subscribers s WHERE s.id = ANY($1::bigint[])"
                                 " AND " +
                                     subscriberScopeSql(caller, "s"),
                                 arrayLiteral(owners)))
                visible_owners.insert(r[0].as<int64_t>());
        txn.commit();
    }
    json items = json::array();
    for (int64_t i = first; i < last; ++i) {
        const auto& a = *held[i];
        const bool shown_owner = a.subscriber_id && visible_owners.count(*a.subscriber_id) != 0;
        auto session = session_of.find(a.ip);
        items.push_back(
            {{"ip", a.ip},
             {"status", a.status},
             {"subscriber_id", shown_owner ? json(*a.subscriber_id) : json(nullptr)},
             {"username", shown_owner && !a.username.empty() ? json(a.username) : json(nullptr)},
             {"session_id",
              shown_owner && session != session_of.end() ? json(session->second) : json(nullptr)},
             {"claimed_at", a.assigned_at.empty() ? json(nullptr) : json(a.assigned_at)},
             {"retired", a.retired}});
    }
    json out = poolJson(pool, &shown->first);
    out["addresses"] = pageJson(std::move(items), total, page);
    return HttpResponse::json(200, out);
}

HttpResponse createRoute(PoolState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("pools.edit");
    const json body = req.jsonBody();
    onlyFields(body, {"name", "ranges", "nas_id", "source"});
    store::PoolInput in;
    in.name = *stringMember(body, "name", true);
    in.ranges = *stringMember(body, "ranges", true);
    in.source = stringMember(body, "source", false).value_or("manual");

    auto lease = s.db->acquire();
    PoolRow pool;
    store::PoolChange change;
    {
        pqxx::work txn(*lease);
        auto nas = nasMember(txn, caller, body);
        if (!nas && caller.reseller_id)
            throw ApiError::invalid("nas_id", "a reseller's pool must be bound to one of its NAS");
        if (nas)
            in.nas = nas->name;
        change = valueOrThrow(store::upsertPool(txn, in));
        // The store redefines an existing pool; a create must not (rolled back on throw).
        if (!change.created)
            throw ApiError(409, "conflict", "name",
                           fmt::format("a pool named '{}' already exists", in.name));
        pool = poolRow(txn.exec_params1(std::string(kPoolSelect) + " WHERE p.name = $1", in.name));
        json after = definitionJson(pool);
        after["size"] = change.size;
        recordAudit(txn, caller, "create", "pool", std::to_string(pool.id), nullptr, after);
        txn.commit();
    }
    auto usage = usageOf(*lease, pool.name);
    json out = poolJson(pool, usage ? &*usage : nullptr);
    out.update(changeJson(change));
    return HttpResponse::json(201, out);
}

HttpResponse updateRoute(PoolState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("pools.edit");
    const int64_t id = pathId(req, "pool");
    const json body = req.jsonBody();
    if (body.contains("name"))
        throw ApiError::invalid("name", "a pool's name cannot be changed");
    onlyFields(body, {"ranges", "nas_id", "source"});
    auto ranges = stringMember(body, "ranges", false);
    auto source = stringMember(body, "source", false);

    auto lease = s.db->acquire();
    PoolRow pool;
    store::PoolChange change;
    {
        pqxx::work txn(*lease);
        const PoolRow before = visiblePool(txn, caller, id);
        auto nas = nasMember(txn, caller, body);
        store::PoolInput in;
        in.name = before.name;
        in.ranges = ranges.value_or(before.ranges);
        in.source = source.value_or(before.source);
        in.nas = nas ? nas->name
                     : (before.nas_name.is_string() ? before.nas_name.get<std::string>() : "");
        change = valueOrThrow(store::upsertPool(txn, in));
        pool = visiblePool(txn, Caller{}, id);
        json after = definitionJson(pool);
        after["size"] = change.size;
        after["retired_in_use"] = change.retired_in_use;
        recordAudit(txn, caller, "update", "pool", std::to_string(id), definitionJson(before),
                    after);
        txn.commit();
    }
    auto usage = usageOf(*lease, pool.name);
    json out = poolJson(pool, usage ? &*usage : nullptr);
    out.update(changeJson(change));
    return HttpResponse::json(200, out);
}

HttpResponse deleteRoute(PoolState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("pools.edit");
    const int64_t id = pathId(req, "pool");
    auto lease = s.db->acquire();
    pqxx::work txn(*lease);
    const PoolRow before = visiblePool(txn, caller, id);
    // Refused (409, field "pool") while an address is in use, as `gatehouse pool delete`.
    okOrThrow(store::deletePool(txn, before.name));
    recordAudit(txn, caller, "delete", "pool", std::to_string(id), definitionJson(before), nullptr);
    txn.commit();
    return HttpResponse::noContent();
}

}  // namespace

void addPoolRoutes(Router& router, const AuthDeps& auth) {
    auto s = std::make_shared<PoolState>();
    s->db = auth.db;
    s->auth = makeAuthenticator(auth);
    auto bind = [s](HttpResponse (*fn)(PoolState&, const HttpRequest&)) {
        return [s, fn](const HttpRequest& req) { return fn(*s, req); };
    };
    router.add("GET", "/api/v1/pools", "IP pools and how full each is (pools.view)",
               bind(listRoute));
    router.add("POST", "/api/v1/pools", "Create an IP pool from ranges (pools.edit)",
               bind(createRoute));
    router.add("GET", "/api/v1/pools/{id}", "One IP pool and its addresses in use (pools.view)",
               bind(showRoute));
    router.add("PATCH", "/api/v1/pools/{id}", "Redefine an IP pool (pools.edit)",
               bind(updateRoute));
    router.add("DELETE", "/api/v1/pools/{id}",
               "Delete an IP pool; refused while addresses are in use (pools.edit)",
               bind(deleteRoute));
}

void addPoolLogDashboardSettingRoutes(Router& router, const AuthDeps& auth) {
    addPoolRoutes(router, auth);
    addRadiusLogRoutes(router, auth);
    addDashboardRoutes(router, auth);
    addSettingRoutes(router, auth);
}

}  // namespace gatehouse::api
