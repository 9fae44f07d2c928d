#include "core/app/config.hpp"

#include <fmt/core.h>

#include <charconv>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "core/app/jobs_role.hpp"

namespace gatehouse::app {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

template <typename T>
T number(std::string_view v, const std::string& where, T max) {
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size() || n > static_cast<uint64_t>(max))
        throw std::runtime_error(
            fmt::format("{}: expected a number up to {}, got \"{}\"", where, max, v));
    return static_cast<T>(n);
}

bool boolean(std::string_view v, const std::string& where) {
    if (v == "true" || v == "yes" || v == "on")
        return true;
    if (v == "false" || v == "no" || v == "off")
        return false;
    throw std::runtime_error(fmt::format("{}: expected true or false, got \"{}\"", where, v));
}

}  // namespace

void applyConfigText(std::string_view text, const std::string& name, ServeConfig& config) {
    int line_no = 0;
    while (!text.empty()) {
        const size_t nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++line_no;
        if (const size_t hash = line.find('#'); hash != std::string_view::npos)
            line = line.substr(0, hash);
        line = trim(line);
        if (line.empty())
            continue;
        const std::string where = fmt::format("{}:{}", name, line_no);
        const size_t eq = line.find('=');
        if (eq == std::string_view::npos)
            throw std::runtime_error(fmt::format("{}: expected key = value", where));
        const std::string_view key = trim(line.substr(0, eq));
        std::string_view value = trim(line.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        if (key == "bind")
            config.bind = value;
        else if (key == "auth_port")
            config.auth_port = number<uint16_t>(value, where, 65535);
        else if (key == "acct_port")
            config.acct_port = number<uint16_t>(value, where, 65535);
        else if (key == "workers")
            config.workers = number<unsigned>(value, where, 1024);
        else if (key == "policy_dir")
            config.policy_dir = value;
        else if (key == "max_instructions")
            config.max_instructions =
                number<uint64_t>(value, where, std::numeric_limits<uint64_t>::max());
        else if (key == "seed")
            config.seed = value;
        else if (key == "db")
            config.db = value;
        else if (key == "key_file")
            config.key_file = value;
        else if (key == "redis")
            config.redis = value;
        else if (key == "duplicate_slots")
            config.duplicate_slots = number<size_t>(value, where, 1u << 24);
        else if (key == "watch_policies")
            config.watch_policies = boolean(value, where);
        else if (key == "ack_unstored_accounting")
            config.ack_unstored_accounting = boolean(value, where);
        else if (key == "spool_dir")
            config.spool_dir = value;
        else if (key == "accounting_batch_max")
            config.accounting_batch_max = number<size_t>(value, where, 100000);
        else if (key == "accounting_connections") {
            config.accounting_connections = number<size_t>(value, where, 16);
            if (config.accounting_connections == 0)
                throw std::runtime_error(where + ": expected a number from 1 to 16, got \"0\"");
        } else if (key == "accounting_queue_max")
            config.accounting_queue_max = number<size_t>(value, where, 10000000);
        else if (key == "ip_claim_lanes") {
            config.ip_claim_lanes = number<size_t>(value, where, 16);
            if (config.ip_claim_lanes == 0)
                throw std::runtime_error(where + ": expected a number from 1 to 16, got \"0\"");
        } else if (key == "accounting_timeout_ms")
            config.accounting_timeout_ms = number<int64_t>(value, where, 600000);
        else if (key == "stale_session_minutes")
            config.stale_session_minutes =
                value == "auto" ? -1 : number<int64_t>(value, where, 525600);
        else if (key == "radius_logs") {
            if (value != "all" && value != "rejects" && value != "off")
                throw std::runtime_error(
                    fmt::format("{}: radius_logs must be all, rejects or off", where));
            config.radius_logs = value;
        } else if (key == "log_retention_days")
            config.log_retention_days = number<int64_t>(value, where, 36500);
        else if (key == "radius_logs_max_rate")
            config.radius_logs_max_rate = number<uint64_t>(value, where, 10000000);
        else if (key == "metrics_bind")
            config.metrics_bind = value;
        else if (key == "metrics_port")
            config.metrics_port = number<uint16_t>(value, where, 65535);
        else if (key == "roles") {
            if (auto r = parseRoles(value); !r)
                throw std::runtime_error(fmt::format("{}: {}", where, r.error()));
            config.roles = value;
        } else if (key == "nas_health_seconds")
            config.nas_health_seconds = number<int64_t>(value, where, 86400);
        else if (key == "jobs_retry_ms") {
            config.jobs_retry_ms = number<int>(value, where, 60000);
            if (config.jobs_retry_ms == 0)
                throw std::runtime_error(where + ": jobs_retry_ms must be at least 1");
        } else if (key == "api_bind")
            config.api_bind = value;
        else if (key == "api_port")
            config.api_port = number<uint16_t>(value, where, 65535);
        else if (key == "api_threads") {
            config.api_threads = number<unsigned>(value, where, 64);
            if (config.api_threads == 0)
                throw std::runtime_error(where + ": api_threads must be at least 1");
        } else if (key == "web_dir")
            config.web_dir = value;
        else
            throw std::runtime_error(fmt::format("{}: unknown key \"{}\"", where, key));
    }
}

void applyConfigFile(const std::string& path, ServeConfig& config) {
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error(fmt::format("{}: cannot open", path));
    std::stringstream ss;
    ss << in.rdbuf();
    applyConfigText(ss.str(), path, config);
}

}  // namespace gatehouse::app
