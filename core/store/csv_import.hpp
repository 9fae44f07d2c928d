#pragma once
// `gatehouse subscriber import`: thousands of subscribers from a CSV file (RFC 4180), in one
// transaction: either every row is imported or none is, and an error names the line.
//
//   username,password,service,static_ip,mac,expires,enabled
//   alice,s3cret,Home-20M,,,2026-12-31,yes
//
// The header line is required; username and password columns are, others are optional and
// may come in any order.
#include <cstddef>
#include <istream>

#include <pqxx/connection>

#include "core/crypto/secret_box.hpp"
#include "core/store/error.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::store {

struct ImportResult {
    size_t imported = 0;
};

Expected<ImportResult, StoreError> importSubscribersCsv(pqxx::connection& conn,
                                                        const crypto::SecretBox& box,
                                                        std::istream& in);

}  // namespace gatehouse::store
