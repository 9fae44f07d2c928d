#include "core/policy/request_json.hpp"

#include <fmt/core.h>

#include <charconv>
#include <cmath>
#include <ctime>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/crypto/md5.hpp"
#include "core/radius/value.hpp"
#include "core/radius/writer.hpp"

namespace gatehouse::policy {

namespace {

using Json = nlohmann::ordered_json;

// Thrown inside the parser only; requestFromJsonText turns it into the Expected error.
struct FieldError {
    std::string message;
};

[[noreturn]] void fail(const std::string& path, std::string_view what) {
    throw FieldError{fmt::format("{}: {}", path, what)};
}

std::string join(const std::string& path, std::string_view key) {
    return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string str(const Json& v, const std::string& path) {
    if (!v.is_string())
        fail(path, "expected a string");
    return v.get<std::string>();
}

bool boolean(const Json& v, const std::string& path) {
    if (!v.is_boolean())
        fail(path, "expected true or false");
    return v.get<bool>();
}

int64_t integer(const Json& v, const std::string& path, int64_t lo, int64_t hi) {
    int64_t n = 0;
    if (v.is_number_integer()) {
        if (v.is_number_unsigned() &&
            v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            fail(path, "out of range");
        n = v.get<int64_t>();
    } else if (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>() &&
               std::fabs(v.get<double>()) < 9e18) {
        n = static_cast<int64_t>(v.get<double>());
    } else {
        fail(path, "expected a number");
    }
    if (n < lo || n > hi)
        fail(path, fmt::format("{} is out of range {}..{}", n, lo, hi));
    return n;
}

// Rates and byte counts: a number, or a string with a k/M/G/T suffix.
uint64_t quantity(const Json& v, const std::string& path) {
    if (v.is_string()) {
        if (auto q = parseQuantity(v.get<std::string>()))
            return *q;
        fail(path, fmt::format("expected a number or a rate like \"20M\", got \"{}\"",
                               v.get<std::string>()));
    }
    if (!v.is_number())
        fail(path, "expected a number or a rate like \"20M\"");
    return static_cast<uint64_t>(integer(v, path, 0, std::numeric_limits<int64_t>::max()));
}

template <class Fn>
void eachField(const Json& obj, const std::string& path, Fn&& fn) {
    if (!obj.is_object())
        fail(path, "expected an object");
    for (auto it = obj.begin(); it != obj.end(); ++it) {
        if (!fn(it.key(), it.value(), join(path, it.key())))
            fail(join(path, it.key()), "unknown field");
    }
}

FupTier parseFupTier(const Json& obj, const std::string& path) {
    FupTier t;
    eachField(obj, path, [&](const std::string& k, const Json& v, const std::string& p) {
        if (k == "name")
            t.name = str(v, p);
        else if (k == "daily_bytes")
            t.daily_bytes = quantity(v, p);
        else if (k == "monthly_bytes")
            t.monthly_bytes = quantity(v, p);
        else if (k == "download_bps")
            t.download_bps = quantity(v, p);
        else if (k == "upload_bps")
            t.upload_bps = quantity(v, p);
        else if (k == "filter_id")
            t.filter_id = str(v, p);
        else
            return false;
        return true;
    });
    return t;
}

std::shared_ptr<const Service> parseService(const Json& obj, const std::string& path) {
    auto s = std::make_shared<Service>();
    constexpr int64_t kU32 = std::numeric_limits<uint32_t>::max();
    eachField(obj, path, [&](const std::string& k, const Json& v, const std::string& p) {
        if (k == "id")
            s->id = integer(v, p, 0, std::numeric_limits<int64_t>::max());
        else if (k == "name")
            s->name = str(v, p);
        else if (k == "download_bps")
            s->download_bps = quantity(v, p);
        else if (k == "upload_bps")
            s->upload_bps = quantity(v, p);
        else if (k == "burst_download_bps")
            s->burst_download_bps = quantity(v, p);
        else if (k == "burst_upload_bps")
            s->burst_upload_bps = quantity(v, p);
        else if (k == "burst_threshold_download_bps")
            s->burst_threshold_download_bps = quantity(v, p);
        else if (k == "burst_threshold_upload_bps")
            s->burst_threshold_upload_bps = quantity(v, p);
        else if (k == "burst_time")
            s->burst_time_s = static_cast<uint32_t>(integer(v, p, 0, kU32));
        else if (k == "priority")
            s->priority = static_cast<uint32_t>(integer(v, p, 0, 8));
        else if (k == "pool_name")
            s->pool_name = str(v, p);
        else if (k == "managed_pool")
            s->managed_pool = str(v, p);
        else if (k == "idle_timeout")
            s->idle_timeout = static_cast<uint32_t>(integer(v, p, 0, kU32));
        else if (k == "session_timeout")
            s->session_timeout = static_cast<uint32_t>(integer(v, p, 0, kU32));
        else if (k == "simultaneous_use")
            s->simultaneous_use = static_cast<uint32_t>(integer(v, p, 0, kU32));
        else if (k == "filter_id")
            s->filter_id = str(v, p);
        else if (k == "address_list")
            s->address_list = str(v, p);
        else if (k == "fup_counts") {
            s->fup_counts = str(v, p);
            if (s->fup_counts != "download" && s->fup_counts != "upload" &&
                s->fup_counts != "total")
                fail(p, "expected \"download\", \"upload\" or \"total\"");
        } else if (k == "fup") {
            if (!v.is_array())
                fail(p, "expected a list of tiers");
            for (size_t i = 0; i < v.size(); ++i)
                s->fup.push_back(parseFupTier(v[i], fmt::format("{}[{}]", p, i)));
        } else {
            return false;
        }
        return true;
    });
    return s;
}

Usage parseUsage(const Json& obj, const std::string& path) {
    Usage u;
    eachField(obj, path, [&](const std::string& k, const Json& v, const std::string& p) {
        if (k == "daily_upload")
            u.daily_upload = quantity(v, p);
        else if (k == "daily_download")
            u.daily_download = quantity(v, p);
        else if (k == "monthly_upload")
            u.monthly_upload = quantity(v, p);
        else if (k == "monthly_download")
            u.monthly_download = quantity(v, p);
        else
            return false;
        return true;
    });
    return u;
}

Subscriber parseSubscriber(const Json& obj, const std::string& path) {
    Subscriber s;
    constexpr int64_t kI64 = std::numeric_limits<int64_t>::max();
    eachField(obj, path, [&](const std::string& k, const Json& v, const std::string& p) {
        if (k == "id")
            s.id = integer(v, p, 0, kI64);
        else if (k == "username")
            s.username = str(v, p);
        else if (k == "enabled")
            s.enabled = boolean(v, p);
        else if (k == "expires_at") {
            if (!v.is_null())
                s.expires_at = integer(v, p, std::numeric_limits<int64_t>::min(), kI64);
        } else if (k == "mac")
            s.mac = str(v, p);
        else if (k == "static_ip")
            s.static_ip = str(v, p);
        else if (k == "last_ip")
            s.last_ip = str(v, p);
        else if (k == "reseller_id")
            s.reseller_id = integer(v, p, 0, kI64);
        else if (k == "open_sessions")
            s.open_sessions = static_cast<uint32_t>(integer(v, p, 0, 1 << 30));
        else if (k == "current_tier")
            s.current_tier = static_cast<int>(integer(v, p, 0, 1000));
        else if (k == "usage")
            s.usage = parseUsage(v, p);
        else if (k == "service") {
            if (!v.is_null())
                s.service = parseService(v, p);
        } else if (k == "extra") {
            if (!v.is_array())
                fail(p, "expected a list of {\"name\": ..., \"value\": ...}");
            for (size_t i = 0; i < v.size(); ++i) {
                const std::string ep = fmt::format("{}[{}]", p, i);
                ExtraAttribute e;
                bool has_name = false;
                eachField(
                    v[i], ep, [&](const std::string& ek, const Json& ev, const std::string& epp) {
                        if (ek == "name") {
                            e.name = str(ev, epp);
                            has_name = true;
                        } else if (ek == "value") {
                            e.value = ev.is_string() ? ev.get<std::string>()
                                                     : std::to_string(integer(ev, epp, 0, kI64));
                        } else {
                            return false;
                        }
                        return true;
                    });
                if (!has_name)
                    fail(ep + ".name", "missing");
                s.extra.push_back(std::move(e));
            }
        } else {
            return false;
        }
        return true;
    });
    return s;
}

Nas parseNas(const Json& obj, const std::string& path) {
    Nas n;
    eachField(obj, path, [&](const std::string& k, const Json& v, const std::string& p) {
        if (k == "id")
            n.id = integer(v, p, 0, std::numeric_limits<int64_t>::max());
        else if (k == "name")
            n.name = str(v, p);
        else if (k == "ip")
            n.ip = str(v, p);
        else if (k == "type")
            n.type = str(v, p);
        else if (k == "coa_port")
            n.coa_port = static_cast<uint16_t>(integer(v, p, 1, 65535));
        else if (k == "realms") {
            if (!v.is_array())
                fail(p, "expected a list of strings");
            for (size_t i = 0; i < v.size(); ++i)
                n.realms.push_back(str(v[i], fmt::format("{}[{}]", p, i)));
        } else {
            return false;
        }
        return true;
    });
    return n;
}

std::string settingText(const Json& v, const std::string& path) {
    if (v.is_string())
        return v.get<std::string>();
    if (v.is_boolean())
        return v.get<bool>() ? "true" : "false";
    if (v.is_number_integer())
        return v.dump();
    if (v.is_number_float())
        return v.dump();
    fail(path, "expected a string, number or boolean");
}

Settings parseSettings(const Json& obj, const std::string& path) {
    Settings s;
    constexpr int64_t kU32 = std::numeric_limits<uint32_t>::max();
    eachField(obj, path, [&](const std::string& k, const Json& v, const std::string& p) {
        if (k == "interim_interval")
            s.interim_interval = static_cast<uint32_t>(integer(v, p, 0, kU32));
        else if (k == "hard_cut")
            s.hard_cut = boolean(v, p);
        else if (k == "expired_action") {
            s.expired_action = str(v, p);
            if (s.expired_action != "reject" && s.expired_action != "walled_garden" &&
                s.expired_action != "grace")
                fail(p, "expected \"reject\", \"walled_garden\" or \"grace\"");
        } else if (k == "grace_days")
            s.grace_days = static_cast<uint32_t>(integer(v, p, 0, kU32));
        else if (k == "walled_garden_pool")
            s.walled_garden_pool = str(v, p);
        else if (k == "walled_garden_address_list")
            s.walled_garden_address_list = str(v, p);
        else if (k == "timezone")
            s.timezone = str(v, p);
        else if (k == "extra") {
            eachField(v, p, [&](const std::string& ek, const Json& ev, const std::string& ep) {
                s.extra[ek] = settingText(ev, ep);
                return true;
            });
        } else {
            // Any other setting is an operator's extra one, visible to policies as text.
            s.extra[k] = settingText(v, p);
        }
        return true;
    });
    return s;
}

std::string attributeText(const Json& v, const std::string& path) {
    if (v.is_string())
        return v.get<std::string>();
    if (v.is_number_integer())
        return v.dump();
    fail(path, "expected a string or an integer");
}

}  // namespace

std::optional<uint64_t> parseQuantity(std::string_view text) {
    if (text.empty())
        return std::nullopt;
    double multiplier = 1;
    switch (text.back()) {
        case 'k':
        case 'K':
            multiplier = 1e3;
            break;
        case 'M':
        case 'm':
            multiplier = 1e6;
            break;
        case 'G':
        case 'g':
            multiplier = 1e9;
            break;
        case 'T':
        case 't':
            multiplier = 1e12;
            break;
        default:
            break;
    }
    if (multiplier != 1)
        text.remove_suffix(1);
    if (text.empty())
        return std::nullopt;
    for (char c : text) {
        if ((c < '0' || c > '9') && c != '.')
            return std::nullopt;
    }
    double number = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec != std::errc() || ptr != text.data() + text.size())
        return std::nullopt;
    const double value = std::round(number * multiplier);
    if (value < 0 || value > 1.8e19)
        return std::nullopt;
    return static_cast<uint64_t>(value);
}

RequestContext JsonRequest::context(const radius::Dictionary& dict) const {
    RequestContext ctx;
    ctx.request = &packet_;
    ctx.dict = &dict;
    ctx.auth_method = auth_method;
    ctx.subscriber = subscriber ? &*subscriber : nullptr;
    ctx.nas = &nas;
    ctx.settings = &settings;
    ctx.now = now;
    return ctx;
}

Expected<std::unique_ptr<JsonRequest>, std::string> requestFromJsonText(
    std::string_view text, const radius::Dictionary& dict) {
    Json root;
    try {
        root = Json::parse(text);
    } catch (const Json::parse_error& e) {
        return unexpected(fmt::format("invalid JSON: {}", e.what()));
    }
    auto out = std::make_unique<JsonRequest>();
    try {
        if (!root.is_object())
            fail("(top level)", "expected an object");
        const Json* attrs = nullptr;
        bool has_now = false;
        for (auto it = root.begin(); it != root.end(); ++it) {
            const std::string& k = it.key();
            const Json& v = it.value();
            if (k == "request") {
                if (!v.is_object())
                    fail(k, "expected an object of attributes");
                attrs = &v;
            } else if (k == "code") {
                const std::string c = str(v, k);
                if (c == "Access-Request")
                    out->code = radius::Code::kAccessRequest;
                else if (c == "Accounting-Request")
                    out->code = radius::Code::kAccountingRequest;
                else
                    fail(k, "expected \"Access-Request\" or \"Accounting-Request\"");
            } else if (k == "auth_method") {
                out->auth_method = str(v, k);
                if (out->auth_method != "pap" && out->auth_method != "chap" &&
                    out->auth_method != "mschapv1" && out->auth_method != "mschapv2" &&
                    out->auth_method != "none")
                    fail(k, "expected pap, chap, mschapv1, mschapv2 or none");
            } else if (k == "subscriber") {
                if (!v.is_null())
                    out->subscriber = parseSubscriber(v, k);
            } else if (k == "nas") {
                out->nas = parseNas(v, k);
            } else if (k == "settings") {
                out->settings = parseSettings(v, k);
            } else if (k == "now") {
                out->now = integer(v, k, 0, std::numeric_limits<int64_t>::max());
                has_now = true;
            } else if (k == "id" || k == "comment") {
                // Labels for people reading a replay file; the policy never sees them.
            } else {
                fail(k, "unknown field");
            }
        }
        if (!has_now)
            out->now = static_cast<int64_t>(std::time(nullptr));

        // Encode the attributes as a NAS would, then decode: the policy gets a real Packet.
        static const crypto::SharedSecret kSecret("gatehouse-policy-eval");
        static constexpr uint8_t kAuth[16] = {0x47, 0x61, 0x74, 0x65, 0x68, 0x6f, 0x75, 0x73,
                                              0x65, 0x20, 0x65, 0x76, 0x61, 0x6c, 0x21, 0x00};
        radius::PacketWriter writer(std::span<uint8_t, radius::kMaxPacketLength>(out->wire_),
                                    &dict);
        const bool access = out->code == radius::Code::kAccessRequest;
        writer.begin(out->code, 1, access ? kAuth : nullptr);
        if (access)
            writer.addMessageAuthenticator();
        std::string user_name;
        if (attrs) {
            for (auto it = attrs->begin(); it != attrs->end(); ++it) {
                const std::string path = "request." + it.key();
                std::string name = it.key();
                uint8_t tag = 0;
                if (auto colon = name.rfind(':'); colon != std::string::npos) {
                    int t = -1;
                    auto [p, ec] =
                        std::from_chars(name.data() + colon + 1, name.data() + name.size(), t);
                    if (ec != std::errc() || p != name.data() + name.size() || t < 1 || t > 31)
                        fail(path, "tag after ':' must be 1..31");
                    tag = static_cast<uint8_t>(t);
                    name.resize(colon);
                }
                const radius::AttrDef* def = dict.byName(name);
                if (!def)
                    fail(path, "unknown attribute (not in the dictionary)");
                std::vector<std::string> values;
                if (it.value().is_array()) {
                    for (size_t i = 0; i < it.value().size(); ++i)
                        values.push_back(
                            attributeText(it.value()[i], fmt::format("{}[{}]", path, i)));
                } else {
                    values.push_back(attributeText(it.value(), path));
                }
                for (const std::string& value : values) {
                    auto wire = radius::parseValue(dict, *def, value);
                    if (!wire)
                        fail(path, wire.error().message);
                    if (!writer.add(*def, *wire, kSecret, access ? kAuth : nullptr, tag))
                        fail(path, radius::describe(writer.error()));
                    if (def->vendor == 0 && def->number == 1 && user_name.empty())
                        user_name = value;
                }
            }
        }
        auto finished = writer.finishRequest(kSecret);
        if (!finished)
            fail("request", radius::describe(finished.error()));
        auto decoded = radius::decodePacket(*finished, dict);
        if (!decoded)
            fail("request", radius::describe(decoded.error()));
        out->packet_ = std::move(*decoded);
        out->user = out->subscriber && !out->subscriber->username.empty()
                        ? out->subscriber->username
                        : user_name;
    } catch (const FieldError& e) {
        return unexpected(e.message);
    }
    return out;
}

}  // namespace gatehouse::policy
