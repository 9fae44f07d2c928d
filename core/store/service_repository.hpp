#pragma once
// Service plans (services): speeds, burst, pools, timeouts. Input as typed ("20M"); empty
// optional fields keep the schema's defaults.
#include <cstdint>
#include <string>
#include <vector>

#include <pqxx/connection>
#include <pqxx/transaction>

#include "core/store/error.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::store {

struct ServiceInput {
    std::string name;
    std::string download;  // required: "20M"
    std::string upload;    // required: "5M"
    std::string burst_download, burst_upload;
    std::string burst_threshold_download, burst_threshold_upload;
    std::string burst_time;  // seconds
    std::string priority;    // 1..8
    std::string pool;        // Framed-Pool name on the NAS
    std::string managed_pool;
    std::string idle_timeout, session_timeout, simultaneous_use;  // seconds, seconds, count
    std::string filter_id;
    std::string address_list;
};

struct ServiceRow {
    int64_t id = 0;
    std::string name;
    uint64_t download_bps = 0;
    uint64_t upload_bps = 0;
    std::string pool;
    uint32_t simultaneous_use = 1;
    int64_t subscribers = 0;  // how many subscribers use it
};

Expected<int64_t, StoreError> addService(pqxx::connection& conn, const ServiceInput& in);
/// The same inside the caller's transaction, left uncommitted (the admin API audits in it).
Expected<int64_t, StoreError> addService(pqxx::work& txn, const ServiceInput& in);
Expected<std::vector<ServiceRow>, StoreError> listServices(pqxx::connection& conn);

/// "20M" for 20000000: the shortest exact decimal-multiple form, for lists.
std::string formatRate(uint64_t bps);

}  // namespace gatehouse::store
