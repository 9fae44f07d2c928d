#include "core/radius/dictionary.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/radius/embedded_dictionaries.hpp"

namespace gatehouse::radius {

namespace {

// FreeRADIUS nests $INCLUDE; 32 levels is far beyond any real tree (the Debian one uses 2) and
// stops a file that includes itself under another name from recursing without end.
constexpr int kMaxIncludeDepth = 32;
// A dictionary is text of a few hundred kilobytes; refuse to slurp /dev/zero or a huge log.
constexpr uintmax_t kMaxFileSize = 16u * 1024 * 1024;
constexpr size_t kMaxTokens = 8;
constexpr size_t kMaxOidDepth = 16;
// RFC 2865 5.26: the Vendor-Id's high-order octet is 0.
constexpr uint64_t kMaxVendorId = 0xFFFFFF;

char lowerAscii(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (lowerAscii(a[i]) != lowerAscii(b[i]))
            return false;
    }
    return true;
}

bool startsWithI(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// Case-insensitive, transparent: lookups by string_view allocate nothing.
struct CaseHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept {
        uint64_t h = 1469598103934665603ull;  // FNV-1a
        for (char c : s) {
            h ^= static_cast<uint8_t>(lowerAscii(c));
            h *= 1099511628211ull;
        }
        return static_cast<size_t>(h);
    }
};
struct CaseEq {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept { return iequals(a, b); }
};
template <class V>
using NameMap = std::unordered_map<std::string, V, CaseHash, CaseEq>;

struct TypeName {
    std::string_view name;
    DataType type;
};
constexpr TypeName kTypeNames[] = {
    {"string", DataType::kString},
    {"octets", DataType::kOctets},
    {"integer", DataType::kInteger},
    {"signed", DataType::kSigned},
    {"integer64", DataType::kInteger64},
    {"date", DataType::kDate},
    {"ipaddr", DataType::kIpAddr},
    {"ipv6addr", DataType::kIpv6Addr},
    {"ipv6prefix", DataType::kIpv6Prefix},
    {"ipv4prefix", DataType::kIpv4Prefix},
    {"ifid", DataType::kIfid},
    {"byte", DataType::kByte},
    {"short", DataType::kShort},
    {"ether", DataType::kEther},
    {"combo-ip", DataType::kComboIp},
    {"abinary", DataType::kAbinary},
    {"tlv", DataType::kTlv},
    {"vsa", DataType::kVsa},
    {"extended", DataType::kExtended},
    {"long-extended", DataType::kLongExtended},
    {"evs", DataType::kEvs},
    // FreeRADIUS v4 / dictionary.dhcp spellings of the same wire types.
    {"uint8", DataType::kByte},
    {"uint16", DataType::kShort},
    {"uint32", DataType::kInteger},
    {"uint64", DataType::kInteger64},
    {"int32", DataType::kSigned},
    {"ipv4addr", DataType::kIpAddr},
};

std::optional<DataType> parseTypeName(std::string_view s) {
    for (const auto& t : kTypeNames) {
        if (iequals(s, t.name))
            return t.type;
    }
    return std::nullopt;
}

// Decimal or 0x-hex, the whole token, at most `max`.
std::optional<uint64_t> parseNumber(std::string_view s, uint64_t max) {
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s.remove_prefix(2);
        base = 16;
    }
    if (s.empty())
        return std::nullopt;
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    if (ec != std::errc() || p != s.data() + s.size() || v > max)
        return std::nullopt;
    return v;
}

std::string q(std::string_view s) {
    std::string out = "'";
    out.append(s);
    out += '\'';
    return out;
}

bool canHaveChildren(DataType t) {
    return t == DataType::kTlv || t == DataType::kExtended || t == DataType::kLongExtended;
}

bool takesValues(DataType t) {
    switch (t) {
        case DataType::kInteger:
        case DataType::kSigned:
        case DataType::kInteger64:
        case DataType::kDate:
        case DataType::kByte:
        case DataType::kShort:
        // FreeRADIUS accepts VALUEs on octets too: dictionary.cablelabs names the leading
        // 32-bit event code of CableLabs-Event-Message that way.
        case DataType::kOctets:
            return true;
        default:
            return false;
    }
}

uint64_t maxValueFor(DataType t) {
    switch (t) {
        case DataType::kByte:
            return 0xFF;
        case DataType::kShort:
            return 0xFFFF;
        case DataType::kInteger64:
            return UINT64_MAX;
        default:
            return 0xFFFFFFFF;
    }
}

struct ChildKey {
    const AttrDef* parent;
    uint32_t vendor;
    uint32_t number;
    bool operator==(const ChildKey&) const = default;
};
struct ChildKeyHash {
    size_t operator()(const ChildKey& k) const noexcept {
        uint64_t h = reinterpret_cast<uintptr_t>(k.parent);
        h ^= ((static_cast<uint64_t>(k.vendor) << 32) | k.number) * 0x9E3779B97F4A7C15ull;
        return static_cast<size_t>(h ^ (h >> 29));
    }
};

struct ValueTable {
    NameMap<uint64_t> by_name;
    std::unordered_map<uint64_t, std::string> by_number;  // the last name given to a number
};

struct DictData {
    std::deque<AttrDef> attrs;
    std::deque<VendorDef> vendors;
    std::array<const AttrDef*, 256> standard{};             // vendor 0, numbers 0..255
    std::unordered_map<uint64_t, const AttrDef*> numbered;  // (vendor << 32) | number, the rest
    std::unordered_map<ChildKey, const AttrDef*, ChildKeyHash> children;
    NameMap<const AttrDef*> by_name;
    std::unordered_map<uint32_t, const VendorDef*> vendor_by_id;
    NameMap<const VendorDef*> vendor_by_name;
    // A second name for a number already taken points at the first definition, which owns the
    // VALUEs and the children (FreeRADIUS keys both by number, not by name).
    std::unordered_map<const AttrDef*, const AttrDef*> alias_of;
    std::unordered_map<const AttrDef*, ValueTable> values;

    const AttrDef* canonical(const AttrDef* a) const {
        if (alias_of.empty())
            return a;
        auto it = alias_of.find(a);
        return it == alias_of.end() ? a : it->second;
    }
    const AttrDef* top(uint32_t vendor, uint32_t number) const {
        if (vendor == 0 && number < standard.size())
            return standard[number];
        auto it = numbered.find((static_cast<uint64_t>(vendor) << 32) | number);
        return it == numbered.end() ? nullptr : it->second;
    }
    // Children are keyed by the owner (first definition) of their parent's number, so they
    // are found through any name of it; AttrDef::parent is the definition actually named.
    const AttrDef* childOf(const AttrDef* parent, uint32_t vendor, uint32_t number) const {
        auto it = children.find(ChildKey{canonical(parent), vendor, number});
        return it == children.end() ? nullptr : it->second;
    }
};

using Impl = DictData;

struct PendingValue {
    std::string attr;
    std::string name;
    uint64_t number;
    std::string file;
    int line;
};

// One BEGIN-VENDOR or BEGIN-TLV that is open in the current file.
struct Block {
    bool is_vendor;
    std::string name;
    const VendorDef* vendor = nullptr;
    const AttrDef* evs = nullptr;  // BEGIN-VENDOR x format=Extended-Vendor-Specific-N
    const AttrDef* tlv = nullptr;
    int line = 0;
};

class Loader {
  public:
    Loader(Impl& d, std::span<const detail::EmbeddedFile> embedded, bool use_embedded)
        : d_(d), embedded_(embedded), use_embedded_(use_embedded) {}

    Expected<void, DictError> loadRoot(std::string_view text, const std::string& name) {
        stack_.push_back(normalName(name));
        auto r = loadText(text, name, 0);
        if (!r)
            return r;
        return resolvePending();
    }

    Expected<void, DictError> loadRootFile(const std::string& path) {
        std::string text;
        std::string resolved = normalName(path);
        if (!readSource(resolved, text)) {
            return unexpected(
                DictError{DictError::kFileNotFound, path, 0, "cannot open " + q(path)});
        }
        return loadRoot(text, resolved);
    }

  private:
    // --- sources ----------------------------------------------------------------------------
    std::string normalName(const std::string& name) const {
        std::filesystem::path p(name);
        if (use_embedded_)
            return p.lexically_normal().generic_string();
        std::error_code ec;
        auto canon = std::filesystem::weakly_canonical(p, ec);
        return ec ? p.lexically_normal().generic_string() : canon.generic_string();
    }

    bool readSource(const std::string& name, std::string& out) const {
        if (use_embedded_) {
            for (const auto& f : embedded_) {
                if (f.name == name) {
                    out.assign(f.text);
                    return true;
                }
            }
            return false;
        }
        std::error_code ec;
        if (!std::filesystem::is_regular_file(name, ec) || ec)
            return false;
        auto size = std::filesystem::file_size(name, ec);
        if (ec || size > kMaxFileSize)
            return false;
        std::ifstream in(name, std::ios::binary);
        if (!in)
            return false;
        out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        return !in.bad();
    }

    // --- errors -----------------------------------------------------------------------------
    Unexpected<DictError> fail(DictError::Kind kind, std::string message) const {
        return unexpected(DictError{kind, *file_, line_, std::move(message)});
    }

    // --- the file walk ----------------------------------------------------------------------
    Expected<void, DictError> loadText(std::string_view text, const std::string& name, int depth) {
        // Each file has its own block state (as FreeRADIUS): a BEGIN-VENDOR never leaks into,
        // or out of, an $INCLUDE.
        std::vector<Block> blocks;
        const std::string* saved_file = file_;
        int saved_line = line_;
        std::vector<Block>* saved_blocks = blocks_;
        file_ = &name;
        blocks_ = &blocks;
        line_ = 0;

        auto r = walk(text, name, depth);
        if (r && !blocks.empty()) {
            const Block& b = blocks.back();
            line_ = b.line;
            r = fail(DictError::kSyntax, std::string(b.is_vendor ? "BEGIN-VENDOR " : "BEGIN-TLV ") +
                                             b.name + " is not closed before the end of the file");
        }
        file_ = saved_file;
        line_ = saved_line;
        blocks_ = saved_blocks;
        return r;
    }

    Expected<void, DictError> walk(std::string_view text, const std::string& name, int depth) {
        size_t pos = 0;
        while (pos < text.size()) {
            size_t eol = text.find('\n', pos);
            if (eol == std::string_view::npos)
                eol = text.size();
            std::string_view line = text.substr(pos, eol - pos);
            pos = eol + 1;
            ++line_;

            size_t hash = line.find('#');
            if (hash != std::string_view::npos)
                line = line.substr(0, hash);

            std::array<std::string_view, kMaxTokens> tok;
            size_t n = 0;
            size_t i = 0;
            bool too_many = false;
            while (i < line.size()) {
                while (i < line.size() && isSpace(line[i]))
                    ++i;
                if (i >= line.size())
                    break;
                size_t start = i;
                while (i < line.size() && !isSpace(line[i]))
                    ++i;
                if (n == kMaxTokens) {
                    too_many = true;
                    break;
                }
                tok[n++] = line.substr(start, i - start);
            }
            if (n == 0)
                continue;
            if (too_many)
                return fail(DictError::kSyntax, "too many fields after " + q(tok[0]));

            auto r = statement(std::span<const std::string_view>(tok.data(), n), name, depth);
            if (!r)
                return r;
        }
        return {};
    }

    static bool isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
    }

    Expected<void, DictError> statement(std::span<const std::string_view> t,
                                        const std::string& name, int depth) {
        std::string_view kw = t[0];
        if (iequals(kw, "ATTRIBUTE"))
            return attribute(t);
        if (iequals(kw, "VALUE"))
            return value(t);
        if (iequals(kw, "VENDOR"))
            return vendor(t);
        if (iequals(kw, "BEGIN-VENDOR"))
            return beginVendor(t);
        if (iequals(kw, "END-VENDOR"))
            return endBlock(t, true);
        if (iequals(kw, "BEGIN-TLV"))
            return beginTlv(t);
        if (iequals(kw, "END-TLV"))
            return endBlock(t, false);
        if (iequals(kw, "$INCLUDE") || iequals(kw, "$INCLUDE-")) {
            if (t.size() != 2) {
                return fail(DictError::kSyntax, std::string(kw) + " takes one file name");
            }
            return include(t[1], name, kw.size() == 9, depth);
        }
        return fail(DictError::kSyntax, "unknown keyword " + q(kw));
    }

    // --- $INCLUDE ---------------------------------------------------------------------------
    Expected<void, DictError> include(std::string_view target, const std::string& from,
                                      bool optional, int depth) {
        std::filesystem::path p(target);
        if (!p.is_absolute())
            p = std::filesystem::path(from).parent_path() / p;
        std::string resolved = normalName(p.string());

        if (depth + 1 > kMaxIncludeDepth) {
            return fail(DictError::kIncludeDepth, "$INCLUDE " + q(target) + " nested deeper than " +
                                                      std::to_string(kMaxIncludeDepth) + " files");
        }
        for (const auto& open : stack_) {
            if (open == resolved) {
                return fail(DictError::kIncludeDepth,
                            "$INCLUDE " + q(target) + " includes a file already being loaded");
            }
        }
        std::string text;
        if (!readSource(resolved, text)) {
            if (optional)
                return {};
            return fail(DictError::kFileNotFound,
                        "$INCLUDE " + q(target) + ": cannot open " + q(resolved));
        }
        stack_.push_back(resolved);
        auto r = loadText(text, resolved, depth + 1);
        stack_.pop_back();
        return r;
    }

    // --- VENDOR / BEGIN-VENDOR / END-VENDOR / BEGIN-TLV / END-TLV ----------------------------
    Expected<void, DictError> vendor(std::span<const std::string_view> t) {
        if (t.size() != 3 && t.size() != 4) {
            return fail(DictError::kSyntax,
                        "VENDOR takes a name, a number and an optional format=");
        }
        auto id = parseNumber(t[2], kMaxVendorId);
        if (!id || *id == 0) {
            return fail(DictError::kBadNumber,
                        "vendor number " + q(t[2]) + " is not a number in 1..16777215");
        }
        VendorDef v;
        v.name = std::string(t[1]);
        v.id = static_cast<uint32_t>(*id);
        if (t.size() == 4) {
            auto r = parseVendorFormat(t[3], v);
            if (!r)
                return r;
        }
        auto same_format = [&](const VendorDef& o) {
            return o.type_octets == v.type_octets && o.length_octets == v.length_octets &&
                   o.continuation == v.continuation;
        };
        if (auto it = d_.vendor_by_name.find(v.name); it != d_.vendor_by_name.end()) {
            const VendorDef& old = *it->second;
            if (old.id == v.id && same_format(old))
                return {};
            return fail(DictError::kConflict, "vendor " + q(v.name) + " already defined as " +
                                                  std::to_string(old.id) + " with another format");
        }
        const VendorDef* first = nullptr;
        if (auto it = d_.vendor_by_id.find(v.id); it != d_.vendor_by_id.end()) {
            first = it->second;
            // A second name for the same number is fine; a second wire format is not.
            if (!same_format(*first)) {
                return fail(DictError::kConflict, "vendor " + q(v.name) + " number " +
                                                      std::to_string(v.id) + " is already " +
                                                      q(first->name) + " with another format");
            }
        }
        d_.vendors.push_back(std::move(v));
        const VendorDef* added = &d_.vendors.back();
        d_.vendor_by_name.emplace(added->name, added);
        if (!first)
            d_.vendor_by_id.emplace(added->id, added);
        return {};
    }

    Expected<void, DictError> parseVendorFormat(std::string_view f, VendorDef& v) {
        if (!startsWithI(f, "format=")) {
            return fail(DictError::kBadFlag, "unknown VENDOR option " + q(f));
        }
        std::string_view spec = f.substr(7);
        // T,L or T,L,c: type octets 1, 2 or 4; length octets 0, 1 or 2; c (WiMAX continuation)
        // only with 1,1.
        auto bad = [&] { return fail(DictError::kBadFlag, "bad vendor format " + q(f)); };
        if (spec.size() != 3 && spec.size() != 5)
            return bad();
        if (spec[1] != ',')
            return bad();
        char tc = spec[0], lc = spec[2];
        if (tc != '1' && tc != '2' && tc != '4')
            return bad();
        if (lc != '0' && lc != '1' && lc != '2')
            return bad();
        v.type_octets = static_cast<uint8_t>(tc - '0');
        v.length_octets = static_cast<uint8_t>(lc - '0');
        if (spec.size() == 5) {
            if (spec[3] != ',' || (spec[4] != 'c' && spec[4] != 'C'))
                return bad();
            if (v.type_octets != 1 || v.length_octets != 1)
                return bad();
            v.continuation = true;
        }
        return {};
    }

    Expected<void, DictError> beginVendor(std::span<const std::string_view> t) {
        if (t.size() != 2 && t.size() != 3) {
            return fail(DictError::kSyntax,
                        "BEGIN-VENDOR takes a vendor name and an optional format=");
        }
        if (!blocks_->empty()) {
            return fail(DictError::kSyntax,
                        "BEGIN-VENDOR " + std::string(t[1]) + " inside " +
                            (blocks_->back().is_vendor ? "BEGIN-VENDOR " : "BEGIN-TLV ") +
                            blocks_->back().name);
        }
        auto it = d_.vendor_by_name.find(t[1]);
        if (it == d_.vendor_by_name.end()) {
            return fail(DictError::kUnknownVendor, "BEGIN-VENDOR for unknown vendor " + q(t[1]));
        }
        Block b{true, std::string(t[1]), it->second, nullptr, nullptr, line_};
        if (t.size() == 3) {
            // RFC 6929 4.3: this vendor's attributes live inside an Extended-Vendor-Specific
            // attribute (241.26 .. 246.26) rather than in Vendor-Specific (26).
            if (!startsWithI(t[2], "format=")) {
                return fail(DictError::kBadFlag, "unknown BEGIN-VENDOR option " + q(t[2]));
            }
            std::string_view evs_name = t[2].substr(7);
            auto a = d_.by_name.find(evs_name);
            if (a == d_.by_name.end() || a->second->type != DataType::kEvs) {
                return fail(DictError::kBadFlag, "BEGIN-VENDOR format " + q(evs_name) +
                                                     " is not an attribute of type evs");
            }
            b.evs = a->second;
        }
        blocks_->push_back(std::move(b));
        return {};
    }

    Expected<void, DictError> beginTlv(std::span<const std::string_view> t) {
        if (t.size() != 2)
            return fail(DictError::kSyntax, "BEGIN-TLV takes one attribute name");
        auto a = d_.by_name.find(t[1]);
        if (a == d_.by_name.end()) {
            return fail(DictError::kUnknownAttribute, "BEGIN-TLV for unknown attribute " + q(t[1]));
        }
        if (a->second->type != DataType::kTlv) {
            return fail(DictError::kUnknownAttribute,
                        "BEGIN-TLV " + q(t[1]) + " is of type " +
                            std::string(dataTypeName(a->second->type)) + ", not tlv");
        }
        Block b{false, std::string(t[1]), nullptr, nullptr, a->second, line_};
        if (!blocks_->empty()) {
            b.vendor = blocks_->back().vendor;
            b.evs = blocks_->back().evs;
        }
        blocks_->push_back(std::move(b));
        return {};
    }

    Expected<void, DictError> endBlock(std::span<const std::string_view> t, bool vendor) {
        const char* kw = vendor ? "END-VENDOR" : "END-TLV";
        if (t.size() != 2)
            return fail(DictError::kSyntax, std::string(kw) + " takes one name");
        if (blocks_->empty() || blocks_->back().is_vendor != vendor ||
            !iequals(blocks_->back().name, t[1])) {
            std::string open = blocks_->empty()
                                   ? std::string("no block is open")
                                   : (blocks_->back().is_vendor ? "open block is BEGIN-VENDOR "
                                                                : "open block is BEGIN-TLV ") +
                                         blocks_->back().name;
            return fail(DictError::kConflict,
                        std::string(kw) + " " + q(t[1]) + " does not match: " + open);
        }
        blocks_->pop_back();
        return {};
    }

    // --- ATTRIBUTE --------------------------------------------------------------------------
    struct Flags {
        Encrypt encrypt = Encrypt::kNone;
        bool has_tag = false, concat = false, array = false, is_virtual = false;
    };

    static bool looksLikeFlags(std::string_view s) {
        if (s.find('=') != std::string_view::npos || s.find(',') != std::string_view::npos) {
            return true;
        }
        for (std::string_view f : {"has_tag", "concat", "array", "virtual", "secret"}) {
            if (iequals(s, f))
                return true;
        }
        return false;
    }

    Expected<void, DictError> parseFlags(std::string_view s, Flags& fl) {
        while (!s.empty()) {
            size_t comma = s.find(',');
            std::string_view f = s.substr(0, comma);
            s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
            if (iequals(f, "has_tag")) {
                fl.has_tag = true;
            } else if (iequals(f, "concat")) {
                fl.concat = true;
            } else if (iequals(f, "array")) {
                fl.array = true;
            } else if (iequals(f, "virtual")) {
                fl.is_virtual = true;
            } else if (iequals(f, "secret")) {
                // FreeRADIUS: hide the value in debug output. Gatehouse never logs secrets at
                // all, so there is nothing to record.
            } else if (startsWithI(f, "encrypt=")) {
                std::string_view n = f.substr(8);
                if (n != "1" && n != "2" && n != "3") {
                    return fail(DictError::kBadFlag,
                                "bad flag " + q(f) + " (encrypt is 1, 2 or 3)");
                }
                fl.encrypt = static_cast<Encrypt>(n[0] - '0');
            } else {
                return fail(DictError::kBadFlag, "unknown flag " + q(f));
            }
        }
        return {};
    }

    Expected<void, DictError> attribute(std::span<const std::string_view> t) {
        if (t.size() != 4 && t.size() != 5) {
            return fail(DictError::kSyntax,
                        "ATTRIBUTE takes a name, a number, a type and optional flags");
        }
        std::string_view name = t[1];
        const Block* blk = blocks_->empty() ? nullptr : &blocks_->back();
        const VendorDef* vendor = blk ? blk->vendor : nullptr;
        const AttrDef* evs = blk ? blk->evs : nullptr;
        const AttrDef* tlv = blk ? blk->tlv : nullptr;

        Flags flags;
        if (t.size() == 5) {
            if (looksLikeFlags(t[4])) {
                auto r = parseFlags(t[4], flags);
                if (!r)
                    return r;
            } else {
                // Old form: ATTRIBUTE name number type VendorName.
                auto v = d_.vendor_by_name.find(t[4]);
                if (v == d_.vendor_by_name.end()) {
                    return fail(DictError::kBadFlag, "unknown flag or vendor " + q(t[4]));
                }
                if (blk) {
                    return fail(
                        DictError::kSyntax,
                        "vendor " + q(t[4]) + " named inside a BEGIN-VENDOR/BEGIN-TLV block");
                }
                vendor = v->second;
            }
        }

        // Type, with octets[N] for fixed-length values.
        std::string_view type_tok = t[3];
        uint16_t fixed_length = 0;
        if (size_t br = type_tok.find('['); br != std::string_view::npos) {
            std::string_view len = type_tok.substr(br + 1);
            if (!iequals(type_tok.substr(0, br), "octets") || len.empty() || len.back() != ']') {
                return fail(DictError::kUnknownType, "unknown type " + q(type_tok));
            }
            auto n = parseNumber(len.substr(0, len.size() - 1), 253);
            if (!n || *n == 0) {
                return fail(DictError::kBadNumber, "length in " + q(type_tok) + " is not 1..253");
            }
            fixed_length = static_cast<uint16_t>(*n);
            type_tok = type_tok.substr(0, br);
        }
        auto type = parseTypeName(type_tok);
        if (!type)
            return fail(DictError::kUnknownType, "unknown type " + q(type_tok));

        // Number: "8", or dotted "241.1" / "1.2.3" through tlv and extended parents.
        std::array<uint32_t, kMaxOidDepth> parts{};
        size_t nparts = 0;
        {
            std::string_view rest = t[2];
            while (true) {
                size_t dot = rest.find('.');
                std::string_view part = rest.substr(0, dot);
                auto n = parseNumber(part, 0xFFFFFFFF);
                if (!n || nparts == parts.size()) {
                    return fail(DictError::kBadNumber, "attribute number " + q(t[2]) + " of " +
                                                           q(name) + " is not a number");
                }
                parts[nparts++] = static_cast<uint32_t>(*n);
                if (dot == std::string_view::npos)
                    break;
                rest = rest.substr(dot + 1);
            }
        }

        uint32_t space = vendor ? vendor->id : 0;
        const AttrDef* parent = tlv;
        for (size_t i = 0; i + 1 < nparts; ++i) {
            const AttrDef* p = parent ? d_.childOf(parent, parent->vendor, parts[i])
                               : evs  ? d_.childOf(evs, space, parts[i])
                                      : d_.top(space, parts[i]);
            if (!p) {
                return fail(DictError::kUnknownAttribute, "attribute " + q(name) + " number " +
                                                              q(t[2]) + ": no parent attribute " +
                                                              std::to_string(parts[i]));
            }
            if (!canHaveChildren(p->type)) {
                return fail(DictError::kUnknownAttribute,
                            "attribute " + q(name) + " number " + q(t[2]) + ": parent " +
                                q(p->name) + " is of type " + std::string(dataTypeName(p->type)) +
                                ", not tlv or extended");
            }
            parent = p;
        }
        uint32_t number = parts[nparts - 1];

        AttrDef a;
        a.name = std::string(name);
        a.number = number;
        a.type = *type;
        a.fixed_length = fixed_length;
        a.encrypt = flags.encrypt;
        a.has_tag = flags.has_tag;
        a.concat = flags.concat;
        a.array = flags.array;
        a.is_virtual = flags.is_virtual;
        uint64_t max = 255;  // tlv children and RFC 6929 types are one octet
        if (parent) {
            a.vendor = parent->vendor;
            a.parent = parent;
            a.oid = parent->oid + "." + std::to_string(number);
        } else if (evs) {
            a.vendor = space;
            a.parent = evs;
            a.oid = evs->oid + "." + std::to_string(space) + "." + std::to_string(number);
        } else if (vendor) {
            a.vendor = space;
            a.oid = "26." + std::to_string(space) + "." + std::to_string(number);
            max = vendor->type_octets == 1 ? 0xFF : vendor->type_octets == 2 ? 0xFFFF : 0xFFFFFFFF;
        } else {
            // Standard space; numbers above 255 are server-internal (FreeRADIUS 1000+).
            a.oid = std::to_string(number);
            max = 0xFFFFFFFF;
        }
        if (number > max) {
            return fail(DictError::kBadNumber, "attribute number " + q(t[2]) + " of " + q(name) +
                                                   " is out of range (max " + std::to_string(max) +
                                                   ")");
        }

        // RFC 6929 2: 241..244 are Extended-Type, 245..246 Long-Extended-Type, and each has an
        // Extended-Vendor-Specific child 26.
        if (a.type == DataType::kExtended || a.type == DataType::kLongExtended) {
            bool ext = a.type == DataType::kExtended;
            bool ok = !a.parent && a.vendor == 0 && number >= (ext ? 241u : 245u) &&
                      number <= (ext ? 244u : 246u);
            if (!ok) {
                return fail(DictError::kConflict, "attribute " + q(name) + " of type " +
                                                      std::string(dataTypeName(a.type)) +
                                                      " must be a standard attribute " +
                                                      (ext ? "241..244" : "245..246"));
            }
        }
        if (a.type == DataType::kEvs) {
            bool ok = a.parent && number == 26 && !a.parent->parent &&
                      (a.parent->type == DataType::kExtended ||
                       a.parent->type == DataType::kLongExtended);
            if (!ok) {
                return fail(
                    DictError::kConflict,
                    "attribute " + q(name) + " of type evs must be 26 of an extended attribute");
            }
        }

        const AttrDef* at =
            a.parent ? d_.childOf(a.parent, a.vendor, number) : d_.top(a.vendor, number);
        if (auto it = d_.by_name.find(name); it != d_.by_name.end()) {
            const AttrDef& old = *it->second;
            bool same = old.oid == a.oid && old.type == a.type &&
                        old.fixed_length == a.fixed_length && old.encrypt == a.encrypt &&
                        old.has_tag == a.has_tag && old.concat == a.concat &&
                        old.array == a.array && old.is_virtual == a.is_virtual;
            if (same)
                return {};  // the same definition again (a file included twice)
            return fail(DictError::kConflict,
                        "attribute " + q(name) + " already defined as " + old.oid + " " +
                            std::string(dataTypeName(old.type)) +
                            (old.oid == a.oid && old.type == a.type ? " with other flags" : ""));
        }

        d_.attrs.push_back(std::move(a));
        const AttrDef* added = &d_.attrs.back();
        d_.by_name.emplace(added->name, added);
        // Several names for one number: each resolves by name, but the number resolves to the
        // LAST definition, as in FreeRADIUS (its main file includes dictionary.compat and the
        // *.illegal files first precisely so that the RFC names loaded later win). The first
        // definition stays the owner of VALUEs and children, shared by all names.
        if (at)
            d_.alias_of.emplace(added, d_.canonical(at));
        if (added->parent) {
            d_.children.insert_or_assign(
                ChildKey{d_.canonical(added->parent), added->vendor, number}, added);
        } else if (added->vendor == 0 && number < d_.standard.size()) {
            d_.standard[number] = added;
        } else {
            d_.numbered.insert_or_assign((static_cast<uint64_t>(added->vendor) << 32) | number,
                                         added);
        }
        return {};
    }

    // --- VALUE ------------------------------------------------------------------------------
    Expected<void, DictError> value(std::span<const std::string_view> t) {
        if (t.size() != 4) {
            return fail(DictError::kSyntax,
                        "VALUE takes an attribute name, a value name and a number");
        }
        auto n = parseNumber(t[3], UINT64_MAX);
        if (!n) {
            return fail(DictError::kBadNumber, "VALUE " + q(t[2]) + " of " + q(t[1]) + ": " +
                                                   q(t[3]) + " is not a number");
        }
        PendingValue v{std::string(t[1]), std::string(t[2]), *n, *file_, line_};
        if (d_.by_name.find(t[1]) == d_.by_name.end()) {
            // dictionary.compat names VALUEs of attributes defined by files included after it;
            // resolve those once everything is loaded.
            pending_.push_back(std::move(v));
            return {};
        }
        return addValue(v);
    }

    Expected<void, DictError> addValue(const PendingValue& v) {
        auto error = [&](DictError::Kind kind, std::string message) {
            return unexpected(DictError{kind, v.file, v.line, std::move(message)});
        };
        auto it = d_.by_name.find(v.attr);
        if (it == d_.by_name.end()) {
            return error(DictError::kUnknownAttribute,
                         "VALUE " + q(v.name) + " for unknown attribute " + q(v.attr));
        }
        // The type of the name used decides; the table is the number's, shared by its names.
        const AttrDef* attr = it->second;
        if (!takesValues(attr->type)) {
            return error(DictError::kConflict, "VALUE " + q(v.name) + " for attribute " +
                                                   q(v.attr) + " of type " +
                                                   std::string(dataTypeName(attr->type)));
        }
        if (v.number > maxValueFor(attr->type)) {
            return error(DictError::kBadNumber, "VALUE " + q(v.name) + " of " + q(v.attr) + ": " +
                                                    std::to_string(v.number) +
                                                    " does not fit type " +
                                                    std::string(dataTypeName(attr->type)));
        }
        ValueTable& table = d_.values[d_.canonical(attr)];
        if (auto old = table.by_name.find(v.name); old != table.by_name.end()) {
            if (old->second == v.number)
                return {};
            return error(DictError::kConflict, "VALUE " + q(v.name) + " of " + q(v.attr) +
                                                   " already defined as " +
                                                   std::to_string(old->second));
        }
        table.by_name.emplace(v.name, v.number);
        // Number to name: the last VALUE wins, as in FreeRADIUS ("Alive" then "Interim-Update"
        // for Acct-Status-Type 3 prints Interim-Update).
        table.by_number.insert_or_assign(v.number, v.name);
        return {};
    }

    Expected<void, DictError> resolvePending() {
        for (const auto& v : pending_) {
            auto r = addValue(v);
            if (!r)
                return r;
        }
        pending_.clear();
        return {};
    }

    Impl& d_;
    std::span<const detail::EmbeddedFile> embedded_;
    bool use_embedded_;
    std::vector<std::string> stack_;  // files being loaded, to catch $INCLUDE loops
    std::vector<PendingValue> pending_;
    const std::string* file_ = nullptr;
    std::vector<Block>* blocks_ = nullptr;
    int line_ = 0;
};

}  // namespace

struct Dictionary::Impl : DictData {};

std::string_view dataTypeName(DataType t) {
    switch (t) {
        case DataType::kString:
            return "string";
        case DataType::kOctets:
            return "octets";
        case DataType::kInteger:
            return "integer";
        case DataType::kSigned:
            return "signed";
        case DataType::kInteger64:
            return "integer64";
        case DataType::kDate:
            return "date";
        case DataType::kIpAddr:
            return "ipaddr";
        case DataType::kIpv6Addr:
            return "ipv6addr";
        case DataType::kIpv6Prefix:
            return "ipv6prefix";
        case DataType::kIpv4Prefix:
            return "ipv4prefix";
        case DataType::kIfid:
            return "ifid";
        case DataType::kByte:
            return "byte";
        case DataType::kShort:
            return "short";
        case DataType::kEther:
            return "ether";
        case DataType::kComboIp:
            return "combo-ip";
        case DataType::kAbinary:
            return "abinary";
        case DataType::kTlv:
            return "tlv";
        case DataType::kVsa:
            return "vsa";
        case DataType::kExtended:
            return "extended";
        case DataType::kLongExtended:
            return "long-extended";
        case DataType::kEvs:
            return "evs";
    }
    return "unknown";
}

std::string DictError::describe() const {
    std::string out = file;
    if (line > 0)
        out += ":" + std::to_string(line);
    out += ": ";
    out += message;
    return out;
}

Dictionary::Dictionary() : impl_(std::make_unique<Impl>()) {}
Dictionary::~Dictionary() = default;
Dictionary::Dictionary(Dictionary&&) noexcept = default;
Dictionary& Dictionary::operator=(Dictionary&&) noexcept = default;

const Dictionary& Dictionary::builtin() {
    // Function-local static: initialised once, thread-safe (C++11 6.7).
    static const Dictionary dict = [] {
        Dictionary d;
        auto r = d.loadBuiltin();
        if (!r) {
            // A broken shipped file is a build defect: say which line, then stop.
            std::fprintf(stderr, "gatehouse: built-in dictionary: %s\n",
                         r.error().describe().c_str());
            std::abort();
        }
        return d;
    }();
    return dict;
}

Expected<void, DictError> Dictionary::loadBuiltin() {
    Loader loader(*impl_, detail::embeddedDictionaries(), true);
    for (const auto& f : detail::embeddedDictionaries()) {
        if (f.name == "dictionary")
            return loader.loadRoot(f.text, "dictionary");
    }
    return unexpected(
        DictError{DictError::kFileNotFound, "dictionary", 0, "no built-in file 'dictionary'"});
}

Expected<void, DictError> Dictionary::loadFile(const std::string& path) {
    Loader loader(*impl_, {}, false);
    return loader.loadRootFile(path);
}

Expected<void, DictError> Dictionary::loadText(std::string_view text, const std::string& name) {
    Loader loader(*impl_, {}, false);
    return loader.loadRoot(text, name);
}

const AttrDef* Dictionary::byName(std::string_view name) const {
    auto it = impl_->by_name.find(name);
    return it == impl_->by_name.end() ? nullptr : it->second;
}

const AttrDef* Dictionary::find(uint32_t vendor, uint32_t number) const {
    return impl_->top(vendor, number);
}

const AttrDef* Dictionary::child(const AttrDef& parent, uint32_t number) const {
    return impl_->childOf(&parent, parent.vendor, number);
}

const AttrDef* Dictionary::evsChild(const AttrDef& evs, uint32_t vendor, uint32_t number) const {
    return impl_->childOf(&evs, vendor, number);
}

const VendorDef* Dictionary::vendorById(uint32_t id) const {
    auto it = impl_->vendor_by_id.find(id);
    return it == impl_->vendor_by_id.end() ? nullptr : it->second;
}

const VendorDef* Dictionary::vendorByName(std::string_view name) const {
    auto it = impl_->vendor_by_name.find(name);
    return it == impl_->vendor_by_name.end() ? nullptr : it->second;
}

std::optional<uint64_t> Dictionary::valueByName(const AttrDef& attr, std::string_view name) const {
    auto t = impl_->values.find(impl_->canonical(&attr));
    if (t == impl_->values.end())
        return std::nullopt;
    auto it = t->second.by_name.find(name);
    if (it == t->second.by_name.end())
        return std::nullopt;
    return it->second;
}

std::string_view Dictionary::valueName(const AttrDef& attr, uint64_t value) const {
    auto t = impl_->values.find(impl_->canonical(&attr));
    if (t == impl_->values.end())
        return {};
    auto it = t->second.by_number.find(value);
    return it == t->second.by_number.end() ? std::string_view() : std::string_view(it->second);
}

std::vector<std::pair<std::string_view, uint64_t>> Dictionary::values(const AttrDef& attr) const {
    std::vector<std::pair<std::string_view, uint64_t>> out;
    auto t = impl_->values.find(impl_->canonical(&attr));
    if (t == impl_->values.end())
        return out;
    out.reserve(t->second.by_name.size());
    for (const auto& [name, number] : t->second.by_name)
        out.emplace_back(name, number);
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second < b.second : a.first < b.first;
    });
    return out;
}

const AttrDef* Dictionary::canonical(const AttrDef& attr) const {
    return impl_->canonical(&attr);
}

const std::deque<AttrDef>& Dictionary::attributes() const {
    return impl_->attrs;
}
const std::deque<VendorDef>& Dictionary::vendors() const {
    return impl_->vendors;
}

}  // namespace gatehouse::radius
