#include "core/api/routes/services.hpp"

#include <fmt/core.h>

#include <optional>
#include <pqxx/pqxx>
#include <vector>

#include "core/api/audit.hpp"
#include "core/api/permissions.hpp"
#include "core/api/routes/route_support.hpp"
#include "core/store/service_repository.hpp"
#include "core/store/validate.hpp"

namespace gatehouse::api {

namespace {

using nlohmann::json;

// FUP1..FUP3: the schema's limit (service_fup_tiers.tier, migration 001).
constexpr size_t kMaxFupTiers = 3;

struct ServiceState {
    ServiceDeps deps;

    store::PgPool& db() {
        if (deps.db == nullptr)
            throw unavailable("the API is not configured with a database", 5);
        return *deps.db;
    }
};

// A rate both as typed in forms ("20M") and as the number policies see.
void rateJson(json& out, const char* name, uint64_t bps) {
    out[name] = store::formatRate(bps);
    out[std::string(name) + "_bps"] = bps;
}

json tiersJson(pqxx::transaction_base& txn, int64_t service_id) {
    auto r = txn.exec(
        "SELECT tier, name, daily_bytes, monthly_bytes, download_bps, upload_bps, filter_id"
        " FROM service_fup_tiers WHERE service_id = " +
        std::to_string(service_id) + " ORDER BY tier");
    json tiers = json::array();
    for (const auto& row : r) {
        json t = {{"tier", row[0].as<int>()},
                  {"name", row[1].as<std::string>()},
                  {"daily_bytes", row[2].as<uint64_t>()},
                  {"monthly_bytes", row[3].as<uint64_t>()},
                  {"filter_id", row[6].as<std::string>()}};
        rateJson(t, "download", row[4].as<uint64_t>());
        rateJson(t, "upload", row[5].as<uint64_t>());
        tiers.push_back(std::move(t));
    }
    return tiers;
}

/// The whole service with its tiers and how many subscribers use it; 404 when missing.
json loadService(pqxx::transaction_base& txn, int64_t id) {
    auto r = txn.exec(
        "SELECT s.id, s.name, s.download_bps, s.upload_bps, s.burst_download_bps,"
        " s.burst_upload_bps, s.burst_threshold_download_bps, s.burst_threshold_upload_bps,"
        " s.burst_time_s, s.priority, s.pool_name, s.managed_pool, s.idle_timeout,"
        " s.session_timeout, s.simultaneous_use, s.filter_id, s.address_list, s.fup_counts,"
        " (SELECT count(*) FROM subscribers u WHERE u.service_id = s.id)"
        " FROM services s WHERE s.id = " +
        std::to_string(id));
    if (r.empty())
        throw ApiError::notFound("service not found");
    const auto& row = r[0];
    json s = {{"id", row[0].as<int64_t>()},
              {"name", row[1].as<std::string>()},
              {"burst_time", row[8].as<int>()},
              {"priority", row[9].as<int>()},
              {"pool", row[10].as<std::string>()},
              {"managed_pool", row[11].as<std::string>()},
              {"idle_timeout", row[12].as<int64_t>()},
              {"session_timeout", row[13].as<int64_t>()},
              {"simultaneous_use", row[14].as<int64_t>()},
              {"filter_id", row[15].as<std::string>()},
              {"address_list", row[16].as<std::string>()},
              {"fup_counts", row[17].as<std::string>()},
              {"subscribers", row[18].as<int64_t>()}};
    rateJson(s, "download", row[2].as<uint64_t>());
    rateJson(s, "upload", row[3].as<uint64_t>());
    rateJson(s, "burst_download", row[4].as<uint64_t>());
    rateJson(s, "burst_upload", row[5].as<uint64_t>());
    rateJson(s, "burst_threshold_download", row[6].as<uint64_t>());
    rateJson(s, "burst_threshold_upload", row[7].as<uint64_t>());
    s["fup_tiers"] = tiersJson(txn, id);
    return s;
}

HttpResponse listServicesRoute(ServiceState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.deps.auth, req);
    caller.require("services.view");
    const PageRequest page = pageRequest(req);
    auto lease = s.db().acquire();
    // Services are few (tens) and not reseller-scoped: the store's list, paged here.
    const auto rows = valueOrThrow(store::listServices(*lease));
    json items = json::array();
    for (size_t i = static_cast<size_t>(std::min<int64_t>(page.offset(), rows.size()));
         i < rows.size() && items.size() < static_cast<size_t>(page.per_page); ++i) {
        const auto& r = rows[i];
        json item = {{"id", r.id},
                     {"name", r.name},
                     {"pool", r.pool},
                     {"simultaneous_use", r.simultaneous_use},
                     {"subscribers", r.subscribers}};
        rateJson(item, "download", r.download_bps);
        rateJson(item, "upload", r.upload_bps);
        items.push_back(std::move(item));
    }
    return HttpResponse::json(200,
                              pageJson(std::move(items), static_cast<int64_t>(rows.size()), page));
}

HttpResponse getServiceRoute(ServiceState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.deps.auth, req);
    caller.require("services.view");
    const int64_t id = pathId(req, "service");
    auto lease = s.db().acquire();
    pqxx::read_transaction txn(*lease);
    return HttpResponse::json(200, loadService(txn, id));
}

// The members of a service body and the store's ServiceInput fields they fill.
constexpr std::string_view kRateFields[] = {"download",
                                            "upload",
                                            "burst_download",
                                            "burst_upload",
                                            "burst_threshold_download",
                                            "burst_threshold_upload"};

HttpResponse createServiceRoute(ServiceState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.deps.auth, req);
    caller.require("services.create");
    const json body = req.jsonBody();
    onlyFields(body, {"name", "download", "upload", "burst_download", "burst_upload",
                      "burst_threshold_download", "burst_threshold_upload", "burst_time",
                      "priority", "pool", "managed_pool", "idle_timeout", "session_timeout",
                      "simultaneous_use", "filter_id", "address_list"});
    auto text = [&](const char* field) { return textField(body, field).value_or(""); };
    store::ServiceInput in;
    in.name = text("name");
    in.download = text("download");
    in.upload = text("upload");
    in.burst_download = text("burst_download");
    in.burst_upload = text("burst_upload");
    in.burst_threshold_download = text("burst_threshold_download");
    in.burst_threshold_upload = text("burst_threshold_upload");
    in.burst_time = text("burst_time");
    in.priority = text("priority");
    in.pool = text("pool");
    in.managed_pool = text("managed_pool");
    in.idle_timeout = text("idle_timeout");
    in.session_timeout = text("session_timeout");
    in.simultaneous_use = text("simultaneous_use");
    in.filter_id = text("filter_id");
    in.address_list = text("address_list");

    auto lease = s.db().acquire();
    pqxx::work txn(*lease);
    const int64_t id = valueOrThrow(store::addService(txn, in));
    json row = loadService(txn, id);
    recordAudit(txn, caller, "create", "service", std::to_string(id), nullptr, row);
    txn.commit();
    return HttpResponse::json(201, row);
}

HttpResponse updateServiceRoute(ServiceState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.deps.auth, req);
    caller.require("services.edit");
    const int64_t id = pathId(req, "service");
    const json body = req.jsonBody();
    onlyFields(body, {"name", "download", "upload", "burst_download", "burst_upload",
                      "burst_threshold_download", "burst_threshold_upload", "burst_time",
                      "priority", "pool", "managed_pool", "idle_timeout", "session_timeout",
                      "simultaneous_use", "filter_id", "address_list", "fup_counts"});
    auto lease = s.db().acquire();
    pqxx::work txn(*lease);
    const json before = loadService(txn, id);

    // Parsed as addService parses them (store/validate.hpp), so both paths accept the same
    // text; "" resets an optional value to the schema's default.
    std::vector<std::string> sets;
    for (std::string_view field : kRateFields) {
        auto v = textField(body, field);
        if (!v)
            continue;
        const bool required = field == "download" || field == "upload";
        uint64_t bps = 0;
        if (!v->empty() || required)
            bps = valueOrThrow(store::parseRate(*v, field));
        sets.push_back(fmt::format("{}_bps = {}", field, bps));
    }
    struct IntField {
        const char* field;
        const char* column;
        int64_t min, max, reset;
    };
    for (const IntField& f : {IntField{"burst_time", "burst_time_s", 0, 3600, 0},
                              IntField{"priority", "priority", 1, 8, 0},
                              IntField{"idle_timeout", "idle_timeout", 0, 2147483647, 0},
                              IntField{"session_timeout", "session_timeout", 0, 2147483647, 0},
                              IntField{"simultaneous_use", "simultaneous_use", 0, 1000000, 1}}) {
        auto v = textField(body, f.field);
        if (!v)
            continue;
        const int64_t n =
            v->empty() ? f.reset : valueOrThrow(store::parseInt(*v, f.field, f.min, f.max));
        sets.push_back(fmt::format("{} = {}", f.column, n));
    }
    if (auto name = textField(body, "name")) {
        if (name->empty())
            throw ApiError::invalid("name", "name: must not be empty");
        sets.push_back("name = " + txn.quote(*name));
    }
    for (auto [field, column] :
         {std::pair{"pool", "pool_name"}, std::pair{"managed_pool", "managed_pool"},
          std::pair{"filter_id", "filter_id"}, std::pair{"address_list", "address_list"}})
        if (auto v = textField(body, field))
            sets.push_back(std::string(column) + " = " + txn.quote(*v));
    if (auto counts = textField(body, "fup_counts")) {
        if (*counts != "download" && *counts != "upload" && *counts != "total")
            throw ApiError::invalid("fup_counts", "fup_counts: expected download, upload or total");
        sets.push_back("fup_counts = " + txn.quote(*counts));
    }
    if (sets.empty())
        throw ApiError::invalid("", "nothing to change (give at least one field)");
    std::string sql = "UPDATE services SET ";
    for (size_t i = 0; i < sets.size(); ++i)
        sql += (i ? ", " : "") + sets[i];
    try {
        txn.exec(sql + " WHERE id = " + std::to_string(id));
    } catch (const pqxx::sql_error& e) {
        throwStoreError(store::fromException(e));  // a taken name: 400 naming "name"
    }
    json after = loadService(txn, id);
    recordAudit(txn, caller, "update", "service", std::to_string(id), before, after);
    txn.commit();
    return HttpResponse::json(200, after);
}

HttpResponse deleteServiceRoute(ServiceState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.deps.auth, req);
    caller.require("services.delete");
    const int64_t id = pathId(req, "service");
    auto lease = s.db().acquire();
    pqxx::work txn(*lease);
    txn.exec("SELECT 1 FROM services WHERE id = " + std::to_string(id) + " FOR UPDATE");
    const json before = loadService(txn, id);
    // subscribers.service_id is ON DELETE RESTRICT; checked first to name the count.
    if (const int64_t users = before["subscribers"].get<int64_t>(); users > 0)
        throw ApiError(
            409, "conflict", "",
            fmt::format("service {} is used by {} subscriber{}; move them first",
                        before["name"].get<std::string>(), users, users == 1 ? "" : "s"));
    try {
        txn.exec("DELETE FROM services WHERE id = " + std::to_string(id));
    } catch (const pqxx::sql_error& e) {
        throwStoreError(store::fromException(e));  // a subscriber added meanwhile
    }
    recordAudit(txn, caller, "delete", "service", std::to_string(id), before, nullptr);
    txn.commit();
    return HttpResponse::noContent();
}

struct FupTierInput {
    std::string name;
    uint64_t daily_bytes = 0, monthly_bytes = 0, download_bps = 0, upload_bps = 0;
    std::string filter_id;
};

uint64_t byteCount(const json& tier, const std::string& prefix, const char* field) {
    auto it = tier.find(field);
    if (it == tier.end())
        return 0;
    if (!it->is_number_integer() || it->get<int64_t>() < 0)
        throw ApiError::invalid(
            prefix + field,
            fmt::format("{}{} must be a non-negative integer (bytes)", prefix, field));
    return it->get<uint64_t>();
}

// FUP1..FUPn: numbered from 1 in order (the policy's tier n is the list's n-th entry,
// docs/policy-api.md "fup"), and each tier's thresholds above the one before it: the highest
// tier reached wins (policies/lib/fup.lua), so a lower threshold on a higher tier would make
// the tier before it unreachable. A threshold of 0 is off and is skipped in the comparison.
std::vector<FupTierInput> parseTiers(const json& body) {
    auto it = body.find("tiers");
    if (it == body.end() || !it->is_array())
        throw ApiError::invalid("tiers", "tiers must be an array (empty: no FUP)");
    if (it->size() > kMaxFupTiers)
        throw ApiError::invalid("tiers", fmt::format("at most {} tiers", kMaxFupTiers));
    std::vector<FupTierInput> tiers;
    uint64_t last_daily = 0, last_monthly = 0;
    for (size_t i = 0; i < it->size(); ++i) {
        const json& t = (*it)[i];
        const std::string prefix = fmt::format("tiers[{}].", i);
        if (!t.is_object())
            throw ApiError::invalid(fmt::format("tiers[{}]", i), "each tier must be an object");
        for (auto m = t.begin(); m != t.end(); ++m)
            if (m.key() != "tier" && m.key() != "name" && m.key() != "daily_bytes" &&
                m.key() != "monthly_bytes" && m.key() != "download" && m.key() != "upload" &&
                m.key() != "filter_id")
                throw ApiError::invalid(prefix + m.key(), "unknown field " + prefix + m.key());
        if (auto n = t.find("tier"); n != t.end()) {
            if (!n->is_number_integer() || n->get<int64_t>() != static_cast<int64_t>(i + 1))
                throw ApiError::invalid(prefix + "tier",
                                        fmt::format("{}tier must be {}: tiers are numbered from 1 "
                                                    "in order",
                                                    prefix, i + 1));
        }
        FupTierInput in;
        in.name = textField(t, "name").value_or("");
        if (in.name.empty())
            in.name = fmt::format("FUP{}", i + 1);
        in.daily_bytes = byteCount(t, prefix, "daily_bytes");
        in.monthly_bytes = byteCount(t, prefix, "monthly_bytes");
        if (in.daily_bytes == 0 && in.monthly_bytes == 0)
            throw ApiError::invalid(
                prefix + "monthly_bytes",
                prefix + "a tier needs a daily_bytes or monthly_bytes threshold");
        if (in.daily_bytes != 0 && in.daily_bytes <= last_daily)
            throw ApiError::invalid(prefix + "daily_bytes",
                                    fmt::format("{}daily_bytes must be above the tier before "
                                                "({})",
                                                prefix, last_daily));
        if (in.monthly_bytes != 0 && in.monthly_bytes <= last_monthly)
            throw ApiError::invalid(prefix + "monthly_bytes",
                                    fmt::format("{}monthly_bytes must be above the tier before "
                                                "({})",
                                                prefix, last_monthly));
        last_daily = std::max(last_daily, in.daily_bytes);
        last_monthly = std::max(last_monthly, in.monthly_bytes);
        for (const char* rate : {"download", "upload"}) {
            auto v = textField(t, rate);
            if (!v || v->empty())
                throw ApiError::invalid(prefix + rate,
                                        fmt::format("{}{} is required (e.g. 2M)", prefix, rate));
            const uint64_t bps = valueOrThrow(store::parseRate(*v, prefix + rate));
            (std::string_view(rate) == "download" ? in.download_bps : in.upload_bps) = bps;
        }
        in.filter_id = textField(t, "filter_id").value_or("");
        tiers.push_back(std::move(in));
    }
    return tiers;
}

HttpResponse replaceFupRoute(ServiceState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.deps.auth, req);
    caller.require("services.edit");
    const int64_t id = pathId(req, "service");
    const json body = req.jsonBody();
    onlyFields(body, {"tiers"});
    const auto tiers = parseTiers(body);
    auto lease = s.db().acquire();
    pqxx::work txn(*lease);
    txn.exec("SELECT 1 FROM services WHERE id = " + std::to_string(id) + " FOR UPDATE");
    const json before = loadService(txn, id);
    // One transaction: the snapshot loaders (NOTIFY on commit) never see half a list.
    txn.exec("DELETE FROM service_fup_tiers WHERE service_id = " + std::to_string(id));
    for (size_t i = 0; i < tiers.size(); ++i) {
        const auto& t = tiers[i];
        txn.exec(fmt::format(
            "INSERT INTO service_fup_tiers (service_id, tier, name, daily_bytes, monthly_bytes,"
            " download_bps, upload_bps, filter_id) VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
            id, i + 1, txn.quote(t.name), t.daily_bytes, t.monthly_bytes, t.download_bps,
            t.upload_bps, txn.quote(t.filter_id)));
    }
    json after = loadService(txn, id);
    recordAudit(txn, caller, "update_fup", "service", std::to_string(id), before["fup_tiers"],
                after["fup_tiers"]);
    txn.commit();
    return HttpResponse::json(200, after);
}

}  // namespace

void addServiceRoutes(Router& router, ServiceDeps deps, const AuthDeps& auth_deps) {
    auto s = std::make_shared<ServiceState>();
    s->deps = std::move(deps);
    if (s->deps.db == nullptr)
        s->deps.db = auth_deps.db;
    if (!s->deps.auth)
        s->deps.auth = makeAuthenticator(auth_deps);  // null without a database or Redis
    auto bind = [s](HttpResponse (*fn)(ServiceState&, const HttpRequest&)) {
        return [s, fn](const HttpRequest& req) { return fn(*s, req); };
    };
    router.add("GET", "/api/v1/services", "List services (services.view)", bind(listServicesRoute));
    router.add("POST", "/api/v1/services", "Create a service (services.create)",
               bind(createServiceRoute));
    router.add("PUT", "/api/v1/services/{id}/fup", "Replace the FUP tiers (services.edit)",
               bind(replaceFupRoute));
    router.add("GET", "/api/v1/services/{id}", "One service with its FUP tiers (services.view)",
               bind(getServiceRoute));
    router.add("PATCH", "/api/v1/services/{id}", "Change a service (services.edit)",
               bind(updateServiceRoute));
    router.add("DELETE", "/api/v1/services/{id}", "Delete an unused service (services.delete)",
               bind(deleteServiceRoute));
}

}  // namespace gatehouse::api
