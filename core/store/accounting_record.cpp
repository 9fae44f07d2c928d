#include "core/store/accounting_record.hpp"

#include <string>

namespace gatehouse::store {
namespace {

// Version 1 layout (all integers little-endian):
//   u8 version | u8 status | i64 event_time | i64 received_at | str session_id | str unique_id
//   | str username | i64 subscriber_id | i64 nas_id | u32 nas_ip | str nas_port_id
//   | str nas_port_type | u8 framed_ip present (0/1) [u32 framed_ip] | str calling_station_id
//   | str called_station_id | u32 session_time | u64 input_octets | u64 output_octets
//   | str terminate_cause | u32 tag count, count x str
// where str = u32 length + that many octets. u32 rather than u16 lengths: tags come from Lua
// and may be long, and serialize() cannot fail, so no length may ever need truncating.
constexpr uint8_t kVersion = 1;

void putLe(Bytes& out, uint64_t v, size_t width) {
    for (size_t i = 0; i < width; ++i)
        out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

void putString(Bytes& out, const std::string& s) {
    putLe(out, s.size(), 4);
    out.insert(out.end(), s.begin(), s.end());
}

// Consumes from a span, remembering the first field that did not fit.
class Reader {
  public:
    explicit Reader(std::span<const uint8_t> in) : in_(in) {}

    bool le(const char* field, size_t width, uint64_t& v) {
        if (!error_.empty())
            return false;
        if (width > in_.size() - pos_) {
            error_ = std::string("truncated ") + field;
            return false;
        }
        v = 0;
        for (size_t i = 0; i < width; ++i)
            v |= uint64_t{in_[pos_ + i]} << (8 * i);
        pos_ += width;
        return true;
    }

    bool str(const char* field, std::string& s) {
        uint64_t len = 0;
        if (!le(field, 4, len))
            return false;
        if (len > in_.size() - pos_) {
            error_ = std::string("truncated ") + field;
            return false;
        }
        s.assign(reinterpret_cast<const char*>(in_.data() + pos_), len);
        pos_ += len;
        return true;
    }

    size_t remaining() const { return in_.size() - pos_; }
    size_t pos() const { return pos_; }
    const std::string& error() const { return error_; }
    void fail(std::string e) {
        if (error_.empty())
            error_ = std::move(e);
    }

  private:
    std::span<const uint8_t> in_;
    size_t pos_ = 0;
    std::string error_;
};

bool validStatus(uint64_t v) {
    switch (v) {
        case static_cast<uint8_t>(AcctStatus::kStart):
        case static_cast<uint8_t>(AcctStatus::kStop):
        case static_cast<uint8_t>(AcctStatus::kInterimUpdate):
        case static_cast<uint8_t>(AcctStatus::kAccountingOn):
        case static_cast<uint8_t>(AcctStatus::kAccountingOff):
            return true;
        default:
            return false;
    }
}

}  // namespace

void serialize(const AccountingRecord& record, Bytes& out) {
    putLe(out, kVersion, 1);
    putLe(out, static_cast<uint8_t>(record.status), 1);
    putLe(out, static_cast<uint64_t>(record.event_time), 8);
    putLe(out, static_cast<uint64_t>(record.received_at), 8);
    putString(out, record.session_id);
    putString(out, record.unique_id);
    putString(out, record.username);
    putLe(out, static_cast<uint64_t>(record.subscriber_id), 8);
    putLe(out, static_cast<uint64_t>(record.nas_id), 8);
    putLe(out, record.nas_ip, 4);
    putString(out, record.nas_port_id);
    putString(out, record.nas_port_type);
    putLe(out, record.framed_ip.has_value() ? 1 : 0, 1);
    if (record.framed_ip)
        putLe(out, *record.framed_ip, 4);
    putString(out, record.calling_station_id);
    putString(out, record.called_station_id);
    putLe(out, record.session_time, 4);
    putLe(out, record.input_octets, 8);
    putLe(out, record.output_octets, 8);
    putString(out, record.terminate_cause);
    putLe(out, record.tags.size(), 4);
    for (const std::string& tag : record.tags)
        putString(out, tag);
}

Expected<AccountingRecord, std::string> deserialize(std::span<const uint8_t>& in) {
    Reader r(in);
    AccountingRecord rec;
    uint64_t v = 0;

    if (r.le("version", 1, v) && v != kVersion)
        return unexpected("unknown version " + std::to_string(v));
    if (r.le("status", 1, v)) {
        if (!validStatus(v))
            return unexpected("bad status " + std::to_string(v));
        rec.status = static_cast<AcctStatus>(v);
    }
    if (r.le("event_time", 8, v))
        rec.event_time = static_cast<int64_t>(v);
    if (r.le("received_at", 8, v))
        rec.received_at = static_cast<int64_t>(v);
    r.str("session_id", rec.session_id);
    r.str("unique_id", rec.unique_id);
    r.str("username", rec.username);
    if (r.le("subscriber_id", 8, v))
        rec.subscriber_id = static_cast<int64_t>(v);
    if (r.le("nas_id", 8, v))
        rec.nas_id = static_cast<int64_t>(v);
    if (r.le("nas_ip", 4, v))
        rec.nas_ip = static_cast<uint32_t>(v);
    r.str("nas_port_id", rec.nas_port_id);
    r.str("nas_port_type", rec.nas_port_type);
    if (r.le("framed_ip presence", 1, v)) {
        if (v > 1)
            return unexpected("bad framed_ip presence " + std::to_string(v));
        if (v == 1 && r.le("framed_ip", 4, v))
            rec.framed_ip = static_cast<uint32_t>(v);
    }
    r.str("calling_station_id", rec.calling_station_id);
    r.str("called_station_id", rec.called_station_id);
    if (r.le("session_time", 4, v))
        rec.session_time = static_cast<uint32_t>(v);
    if (r.le("input_octets", 8, v))
        rec.input_octets = v;
    if (r.le("output_octets", 8, v))
        rec.output_octets = v;
    r.str("terminate_cause", rec.terminate_cause);
    if (r.le("tag count", 4, v)) {
        // Every tag takes at least its 4-octet length: a count the input cannot hold is a
        // truncation, found before reserving memory for it.
        if (v > r.remaining() / 4) {
            r.fail("truncated tags");
        } else {
            rec.tags.resize(v);
            for (std::string& tag : rec.tags) {
                if (!r.str("tag", tag))
                    break;
            }
        }
    }
    if (!r.error().empty())
        return unexpected(r.error());
    in = in.subspan(r.pos());
    return rec;
}

}  // namespace gatehouse::store
