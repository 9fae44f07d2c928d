#include "core/store/csv_import.hpp"

#include <pqxx/pqxx>

#include <string>
#include <unordered_map>
#include <vector>

#include "core/store/subscriber_repository.hpp"

namespace gatehouse::store {
namespace {

// Multi-row INSERTs of this many rows: few round trips, statements of a few hundred kB.
constexpr size_t kBatchRows = 500;

enum Column { kUsername, kPassword, kService, kStaticIp, kMac, kExpires, kEnabled, kColumns };
constexpr const char* kColumnNames[kColumns] = {"username", "password", "service", "static_ip",
                                                "mac",      "expires",  "enabled"};

StoreError lineError(size_t line, StoreErrorKind kind, std::string field, std::string message) {
    return StoreError{kind, std::move(field), std::move(message), line};
}

// One record of RFC 4180 CSV. Quoted fields may hold commas and "" but not line breaks
// (no subscriber field needs one). Returns false with a message on malformed quoting.
bool splitCsv(std::string_view line, std::vector<std::string>& out, std::string& error) {
    out.clear();
    std::string cell;
    size_t i = 0;
    for (;;) {
        cell.clear();
        if (i < line.size() && line[i] == '"') {
            ++i;
            for (;;) {
                if (i >= line.size()) {
                    error = "unterminated quoted field";
                    return false;
                }
                if (line[i] == '"') {
                    if (i + 1 < line.size() && line[i + 1] == '"') {
                        cell.push_back('"');
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                cell.push_back(line[i++]);
            }
            if (i < line.size() && line[i] != ',') {
                error = "text after a closing quote";
                return false;
            }
        } else {
            while (i < line.size() && line[i] != ',')
                cell.push_back(line[i++]);
        }
        out.push_back(cell);
        if (i >= line.size())
            return true;
        ++i;  // the comma
    }
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.pop_back();
    size_t a = 0;
    while (a < s.size() && (s[a] == ' ' || s[a] == '\t'))
        ++a;
    return s.substr(a);
}

struct Pending {
    SubscriberValues values;
    size_t line;
};

template <class T>
std::string literal(pqxx::transaction_base& txn, const std::optional<T>& v) {
    if (!v)
        return "NULL";
    if constexpr (std::is_same_v<T, std::string>)
        return txn.quote(*v);
    else
        return std::to_string(*v);
}

void insertBatch(pqxx::work& txn, const std::vector<Pending>& batch) {
    std::string sql =
        "INSERT INTO subscribers (username, password_enc, service_id, static_ip, mac, expires_at,"
        " enabled) VALUES ";
    sql.reserve(batch.size() * 200);
    for (size_t i = 0; i < batch.size(); ++i) {
        const auto& v = batch[i].values;
        sql += i ? ",(" : "(";
        sql += txn.quote(v.username) + "," + txn.quote(v.password_enc) + "," +
               literal(txn, v.service_id) + "," + literal(txn, v.static_ip) + "," +
               literal(txn, v.mac) + "," +
               (v.expires_at ? "to_timestamp(" + std::to_string(*v.expires_at) + ")" : "NULL") +
               "," + (v.enabled ? "true" : "false") + ")";
    }
    txn.exec(sql);
}

}  // namespace

Expected<ImportResult, StoreError> importSubscribersCsv(pqxx::connection& conn,
                                                        const crypto::SecretBox& box,
                                                        std::istream& in) {
    std::string line;
    size_t line_no = 0;
    std::vector<std::string> cells;
    std::string csv_error;

    // Header: maps each column of the file to a field.
    std::vector<int> column_of;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line_no == 1 && line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0)
            line.erase(0, 3);  // a UTF-8 BOM, as spreadsheets write it
        if (!line.empty())
            break;
    }
    if (line.empty())
        return unexpected(lineError(line_no, StoreErrorKind::kInvalid, "", "no header line"));
    if (!splitCsv(line, cells, csv_error))
        return unexpected(lineError(line_no, StoreErrorKind::kInvalid, "", csv_error));
    bool seen[kColumns] = {};
    for (auto& cell : cells) {
        std::string name = trimmed(cell);
        int found = -1;
        for (int c = 0; c < kColumns; ++c)
            if (name == kColumnNames[c])
                found = c;
        if (found < 0)
            return unexpected(lineError(line_no, StoreErrorKind::kInvalid, name,
                                        "unknown column (expected username, password, service,"
                                        " static_ip, mac, expires, enabled)"));
        if (seen[found])
            return unexpected(
                lineError(line_no, StoreErrorKind::kInvalid, name, "column given twice"));
        seen[found] = true;
        column_of.push_back(found);
    }
    for (int c : {kUsername, kPassword})
        if (!seen[c])
            return unexpected(lineError(line_no, StoreErrorKind::kInvalid, kColumnNames[c],
                                        "required column missing from the header"));

    ServiceIndex services;
    try {
        services = loadServiceIndex(conn);
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
    // Where each username / active static IP first appeared: duplicates inside the file are
    // reported with both lines, conflicts with existing rows with this line.
    std::unordered_map<std::string, size_t> username_line;
    std::unordered_map<std::string, size_t> ip_line;
    std::vector<Pending> batch;
    batch.reserve(kBatchRows);
    ImportResult result;

    auto flush = [&](pqxx::work& txn) -> Expected<void, StoreError> {
        if (batch.empty())
            return {};
        try {
            insertBatch(txn, batch);
        } catch (const std::exception& e) {
            StoreError err = fromException(e);
            // Name the line whose value collided with a row already in the database.
            std::string_view what = e.what();
            auto a = what.find(")=(");
            auto b = a == std::string_view::npos ? a : what.find(')', a + 3);
            if (b != std::string_view::npos) {
                std::string key(what.substr(a + 3, b - a - 3));
                auto& index = err.field == "static_ip" ? ip_line : username_line;
                if (auto it = index.find(key); it != index.end())
                    err.line = it->second;
            }
            return unexpected(std::move(err));
        }
        result.imported += batch.size();
        batch.clear();
        return {};
    };

    try {
        pqxx::work txn(conn);
        SubscriberInput input;
        while (std::getline(in, line)) {
            ++line_no;
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            if (line.empty())
                continue;
            if (!splitCsv(line, cells, csv_error))
                return unexpected(lineError(line_no, StoreErrorKind::kInvalid, "", csv_error));
            if (cells.size() != column_of.size())
                return unexpected(lineError(line_no, StoreErrorKind::kInvalid, "",
                                            "expected " + std::to_string(column_of.size()) +
                                                " fields, found " + std::to_string(cells.size())));
            input = SubscriberInput{};
            for (size_t i = 0; i < cells.size(); ++i) {
                // The password is taken verbatim: spaces may be part of it.
                std::string value = column_of[i] == kPassword ? cells[i] : trimmed(cells[i]);
                switch (column_of[i]) {
                    case kUsername:
                        input.username = std::move(value);
                        break;
                    case kPassword:
                        input.password = std::move(value);
                        break;
                    case kService:
                        input.service = std::move(value);
                        break;
                    case kStaticIp:
                        input.static_ip = std::move(value);
                        break;
                    case kMac:
                        input.mac = std::move(value);
                        break;
                    case kExpires:
                        input.expires = std::move(value);
                        break;
                    case kEnabled:
                        input.enabled = std::move(value);
                        break;
                }
            }
            auto values = validateSubscriber(input, services, box);
            if (!values) {
                values.error().line = line_no;
                return unexpected(values.error());
            }
            auto [it, fresh] = username_line.emplace(values->username, line_no);
            if (!fresh)
                return unexpected(lineError(
                    line_no, StoreErrorKind::kDuplicate, "username",
                    "'" + values->username + "' already on line " + std::to_string(it->second)));
            if (values->static_ip && values->enabled) {
                auto [ip_it, ip_fresh] = ip_line.emplace(*values->static_ip, line_no);
                if (!ip_fresh)
                    return unexpected(lineError(line_no, StoreErrorKind::kDuplicate, "static_ip",
                                                "'" + *values->static_ip + "' already on line " +
                                                    std::to_string(ip_it->second)));
            }
            batch.push_back(Pending{std::move(*values), line_no});
            if (batch.size() == kBatchRows) {
                if (auto ok = flush(txn); !ok)
                    return unexpected(ok.error());
            }
        }
        if (auto ok = flush(txn); !ok)
            return unexpected(ok.error());
        txn.commit();
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
    return result;
}

}  // namespace gatehouse::store
