#include "core/store/accounting_quarantine.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace gatehouse::store {

namespace {

std::string statusName(AcctStatus s) {
    switch (s) {
        case AcctStatus::kStart:
            return "Start";
        case AcctStatus::kStop:
            return "Stop";
        case AcctStatus::kInterimUpdate:
            return "Interim-Update";
        case AcctStatus::kAccountingOn:
            return "Accounting-On";
        case AcctStatus::kAccountingOff:
            return "Accounting-Off";
    }
    return "?";
}

std::string dotted(uint32_t ip) {
    return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 0xff) + "." +
           std::to_string((ip >> 8) & 0xff) + "." + std::to_string(ip & 0xff);
}

}  // namespace

std::string recordJson(const AccountingRecord& r) {
    nlohmann::json j;
    j["status"] = statusName(r.status);
    j["event_time"] = r.event_time;
    j["received_at"] = r.received_at;
    j["session_id"] = r.session_id;
    j["unique_id"] = r.unique_id;
    j["username"] = r.username;
    j["subscriber_id"] = r.subscriber_id;
    j["nas_id"] = r.nas_id;
    j["nas_ip"] = dotted(r.nas_ip);
    j["nas_port_id"] = r.nas_port_id;
    j["nas_port_type"] = r.nas_port_type;
    j["framed_ip"] = r.framed_ip ? nlohmann::json(dotted(*r.framed_ip)) : nlohmann::json();
    j["calling_station_id"] = r.calling_station_id;
    j["called_station_id"] = r.called_station_id;
    j["session_time"] = r.session_time;
    j["input_octets"] = r.input_octets;
    j["output_octets"] = r.output_octets;
    j["terminate_cause"] = r.terminate_cause;
    j["tags"] = r.tags;
    // Text from the wire may be any octets: replace what is not UTF-8 rather than throw.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Expected<void, std::string> AccountingQuarantine::add(const AccountingRecord& record,
                                                      std::string_view error) {
    nlohmann::json line;
    line["error"] = std::string(error);
    line["record"] = nlohmann::json::parse(recordJson(record));
    const std::string text =
        line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return unexpected(path_ + ": " + std::strerror(errno));
    size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            const std::string why = std::strerror(errno);
            ::close(fd);
            return unexpected(path_ + ": " + why);
        }
        done += static_cast<size_t>(n);
    }
    const bool synced = ::fdatasync(fd) == 0;
    ::close(fd);
    if (!synced)
        return unexpected(path_ + ": fdatasync: " + std::strerror(errno));
    return {};
}

bool isPermanentSqlState(std::string_view s) {
    if (s.size() != 5)
        return false;
    const std::string_view cls = s.substr(0, 2);
    return cls == "22" || cls == "23" || cls == "42" || cls == "P0";
}

}  // namespace gatehouse::store
