#include "core/store/service_repository.hpp"

#include <pqxx/pqxx>

#include <optional>

#include "core/store/validate.hpp"

namespace gatehouse::store {

std::string formatRate(uint64_t bps) {
    if (bps != 0 && bps % 1000000000 == 0)
        return std::to_string(bps / 1000000000) + "G";
    if (bps != 0 && bps % 1000000 == 0)
        return std::to_string(bps / 1000000) + "M";
    if (bps != 0 && bps % 1000 == 0)
        return std::to_string(bps / 1000) + "k";
    return std::to_string(bps);
}

Expected<int64_t, StoreError> addService(pqxx::work& txn, const ServiceInput& in) {
    if (in.name.empty())
        return unexpected(StoreError{StoreErrorKind::kInvalid, "name", "must not be empty", 0});
    std::string columns = "name";
    std::vector<std::string> values;  // SQL literals, quoted below
    std::optional<StoreError> error;

    auto rate = [&](const std::string& text, const char* field, const char* column, bool required) {
        if (error || (text.empty() && !required))
            return;
        if (text.empty()) {
            error = StoreError{StoreErrorKind::kInvalid, field, "is required (e.g. 20M)", 0};
            return;
        }
        auto v = parseRate(text, field);
        if (!v) {
            error = v.error();
            return;
        }
        columns += std::string(", ") + column;
        values.push_back(std::to_string(*v));
    };
    auto number = [&](const std::string& text, const char* field, const char* column, int64_t min,
                      int64_t max) {
        if (error || text.empty())
            return;
        auto v = parseInt(text, field, min, max);
        if (!v) {
            error = v.error();
            return;
        }
        columns += std::string(", ") + column;
        values.push_back(std::to_string(*v));
    };
    rate(in.download, "download", "download_bps", true);
    rate(in.upload, "upload", "upload_bps", true);
    rate(in.burst_download, "burst_download", "burst_download_bps", false);
    rate(in.burst_upload, "burst_upload", "burst_upload_bps", false);
    rate(in.burst_threshold_download, "burst_threshold_download", "burst_threshold_download_bps",
         false);
    rate(in.burst_threshold_upload, "burst_threshold_upload", "burst_threshold_upload_bps", false);
    number(in.burst_time, "burst_time", "burst_time_s", 0, 3600);
    number(in.priority, "priority", "priority", 1, 8);
    number(in.idle_timeout, "idle_timeout", "idle_timeout", 0, 2147483647);
    number(in.session_timeout, "session_timeout", "session_timeout", 0, 2147483647);
    number(in.simultaneous_use, "simultaneous_use", "simultaneous_use", 0, 1000000);
    if (error)
        return unexpected(*error);
    try {
        std::string sql_values = txn.quote(in.name);
        for (const auto& v : values)
            sql_values += ", " + v;
        auto text = [&](const std::string& v, const char* column) {
            if (!v.empty()) {
                columns += std::string(", ") + column;
                sql_values += ", " + txn.quote(v);
            }
        };
        text(in.pool, "pool_name");
        text(in.managed_pool, "managed_pool");
        text(in.filter_id, "filter_id");
        text(in.address_list, "address_list");
        auto r = txn.exec("INSERT INTO services (" + columns + ") VALUES (" + sql_values +
                          ") RETURNING id");
        return r[0][0].as<int64_t>();
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<int64_t, StoreError> addService(pqxx::connection& conn, const ServiceInput& in) {
    try {
        pqxx::work txn(conn);
        auto id = addService(txn, in);
        if (id)
            txn.commit();
        return id;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<std::vector<ServiceRow>, StoreError> listServices(pqxx::connection& conn) {
    try {
        pqxx::read_transaction txn(conn);
        auto r = txn.exec(
            "SELECT s.id, s.name, s.download_bps, s.upload_bps, s.pool_name, s.simultaneous_use,"
            " (SELECT count(*) FROM subscribers u WHERE u.service_id = s.id)"
            " FROM services s ORDER BY s.name");
        std::vector<ServiceRow> rows;
        for (const auto& row : r) {
            ServiceRow s;
            s.id = row[0].as<int64_t>();
            s.name = row[1].as<std::string>();
            s.download_bps = row[2].as<uint64_t>();
            s.upload_bps = row[3].as<uint64_t>();
            s.pool = row[4].as<std::string>();
            s.simultaneous_use = row[5].as<uint32_t>();
            s.subscribers = row[6].as<int64_t>();
            rows.push_back(std::move(s));
        }
        return rows;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

}  // namespace gatehouse::store
