// Runs every packet of tests/vectors/*.txt through decodePacket, the authenticator checks,
// formatPacket and, for well-formed packets, back through PacketWriter from the text form.
//
// Vector file format (one field per line, a vector starts at "name:"):
//   # comment
//   name: rfc2865-7.1-access-request        unique, [A-Za-z0-9._-]
//   secret: xyzzy5461                       shared secret (text)
//   request-auth: 0f403f94...               responses: the request's authenticator
//   hex: 0100003816...                      the datagram (may carry padding past Length)
//   expect: ok                              or: error <kind> field=<f> offset=<n> length=<n>
//                                           (<kind> as decodeErrorName prints it)
//   ma: valid | invalid | absent            default: valid when present, else absent
//   authenticator: valid | invalid          hashed requests and responses; default valid
//   password: arctangent                    optional: the unhidden User-Password
//   reencode: no                            skip the rebuild (flipped bits, TLV text, ...)
//   attr: Name = value                      every line formatPacket prints, in order
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/crypto/hiding.hpp"
#include "core/radius/authenticator.hpp"
#include "core/radius/packet.hpp"
#include "core/radius/value.hpp"
#include "core/radius/writer.hpp"
#include "tests/unit/radius/codec_test_dict.hpp"

namespace gatehouse::radius {
namespace {

struct Vector {
    std::string file;
    int line = 0;
    std::string name;
    std::string secret;
    Bytes request_auth;
    Bytes hex;
    std::string expect;
    std::string ma;
    std::string authenticator;
    std::string password;
    bool has_password = false;
    bool reencode = true;
    std::vector<std::string> attrs;
};

std::string trim(std::string s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos)
        return "";
    const auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

std::vector<Vector> loadVectors() {
    std::vector<Vector> out;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(GH_SOURCE_DIR "/tests/vectors")) {
        if (e.path().extension() == ".txt")
            files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& path : files) {
        std::ifstream in(path);
        std::string line;
        int n = 0;
        while (std::getline(in, line)) {
            ++n;
            line = trim(line);
            if (line.empty() || line[0] == '#')
                continue;
            const auto colon = line.find(':');
            if (colon == std::string::npos) {
                ADD_FAILURE() << path << ":" << n << ": no key";
                continue;
            }
            const std::string key = line.substr(0, colon);
            const std::string value = trim(line.substr(colon + 1));
            if (key == "name") {
                out.emplace_back();
                out.back().file = path.filename().string();
                out.back().line = n;
                out.back().name = value;
                continue;
            }
            if (out.empty()) {
                ADD_FAILURE() << path << ":" << n << ": field before name:";
                continue;
            }
            Vector& v = out.back();
            if (key == "secret") {
                v.secret = value;
            } else if (key == "request-auth") {
                v.request_auth = fromHex(value).value_or(Bytes{});
            } else if (key == "hex") {
                auto h = fromHex(value);
                if (!h)
                    ADD_FAILURE() << path << ":" << n << ": bad hex";
                v.hex = h.value_or(Bytes{});
            } else if (key == "expect") {
                v.expect = value;
            } else if (key == "ma") {
                v.ma = value;
            } else if (key == "authenticator") {
                v.authenticator = value;
            } else if (key == "password") {
                v.password = value;
                v.has_password = true;
            } else if (key == "reencode") {
                v.reencode = value != "no";
            } else if (key == "attr") {
                v.attrs.push_back(value);
            } else {
                ADD_FAILURE() << path << ":" << n << ": unknown key " << key;
            }
        }
    }
    return out;
}

const std::vector<Vector>& vectors() {
    static const std::vector<Vector> v = loadVectors();
    return v;
}

std::string checkName(const MaCheck c) {
    switch (c) {
        case MaCheck::kAbsent:
            return "absent";
        case MaCheck::kValid:
            return "valid";
        case MaCheck::kInvalid:
            return "invalid";
    }
    return "?";
}

bool isResponseCode(Code c) {
    return !isRequest(c) && c != Code::kStatusClient;
}

// Rebuilds the packet from its attribute lines with PacketWriter.
Expected<ByteSpan, EncodeError> reencode(const Vector& v, const Packet& p,
                                         const crypto::SharedSecret& secret, PacketWriter& w,
                                         std::string& problem) {
    const Dictionary& dict = test::codecDict();
    const bool random_auth = p.code() == Code::kAccessRequest || p.code() == Code::kStatusServer;
    w.begin(p.code(), p.id(), random_auth ? p.authenticator() : nullptr);
    const uint8_t* ra = isResponseCode(p.code()) ? v.request_auth.data() : p.authenticator();
    for (const std::string& line : v.attrs) {
        const auto eq = line.find(" = ");
        std::string name = line.substr(0, eq);
        const std::string text = line.substr(eq + 3);
        uint8_t tag = 0;
        if (auto c = name.find(':'); c != std::string::npos) {
            tag = static_cast<uint8_t>(std::stoi(name.substr(c + 1)));
            name = name.substr(0, c);
        }
        if (name == "Message-Authenticator") {
            w.addMessageAuthenticator();
            continue;
        }
        if (name.starts_with("Attr-")) {
            auto raw = fromHex(text);
            std::vector<uint32_t> nums;
            std::stringstream ss(name.substr(5));
            for (std::string part; std::getline(ss, part, '.');)
                nums.push_back(std::stoul(part));
            if (!raw) {
                problem = "raw attribute without hex: " + line;
                return w.finishRequest(secret);
            }
            if (nums.size() == 3) {
                w.addVendor(nums[1], static_cast<uint8_t>(nums[2]), *raw);
            } else if (nums.size() == 2) {
                raw->insert(raw->begin(), static_cast<uint8_t>(nums[1]));
                w.add(static_cast<uint8_t>(nums[0]), *raw);
            } else {
                w.add(static_cast<uint8_t>(nums[0]), *raw);
            }
            continue;
        }
        const AttrDef* def = dict.byName(name);
        if (def == nullptr) {
            problem = "unknown attribute " + name;
            return w.finishRequest(secret);
        }
        if (def->encrypt != Encrypt::kNone) {
            // Hidden values are printed as they travel: put them back as they are.
            auto raw = fromHex(text);
            if (def->vendor != 0) {
                w.addVendor(def->vendor, static_cast<uint8_t>(def->number), raw.value_or(Bytes{}));
            } else {
                w.add(static_cast<uint8_t>(def->number), raw.value_or(Bytes{}));
            }
            continue;
        }
        auto wire = parseValue(dict, *def, text);
        if (!wire) {
            problem = wire.error().message;
            return w.finishRequest(secret);
        }
        w.add(*def, *wire, secret, ra, tag);
    }
    if (isResponseCode(p.code()))
        return w.finishResponse(secret, v.request_auth.data());
    return w.finishRequest(secret);
}

class VectorTest : public ::testing::TestWithParam<size_t> {};

TEST_P(VectorTest, DecodesChecksFormatsAndReencodes) {
    const Vector& v = vectors()[GetParam()];
    SCOPED_TRACE(v.file + ":" + std::to_string(v.line) + " " + v.name);
    const Dictionary& dict = test::codecDict();
    auto r = decodePacket(v.hex, dict);

    if (v.expect != "ok") {
        ASSERT_FALSE(r.has_value()) << "decoded, expected " << v.expect;
        const DecodeError& e = r.error();
        const std::string got = "error " + std::string(decodeErrorName(e.kind)) +
                                " field=" + e.field + " offset=" + std::to_string(e.offset) +
                                " length=" + std::to_string(e.length);
        EXPECT_EQ(got, v.expect) << describe(e);
        EXPECT_FALSE(describe(e).empty());
        return;
    }
    ASSERT_TRUE(r.has_value()) << describe(r.error());
    const Packet& p = *r;
    const crypto::SharedSecret secret(v.secret);
    const bool response = isResponseCode(p.code());

    // Message-Authenticator.
    MaCheck ma = response ? checkResponseMessageAuthenticator(p, v.request_auth.data(), secret)
                          : checkRequestMessageAuthenticator(p, secret);
    const std::string want_ma =
        !v.ma.empty() ? v.ma : (p.messageAuthenticator() ? "valid" : "absent");
    EXPECT_EQ(checkName(ma), want_ma);

    // Request / Response Authenticator.
    const std::string want_auth = v.authenticator.empty() ? "valid" : v.authenticator;
    if (response) {
        ASSERT_EQ(v.request_auth.size(), 16u) << "response vector without request-auth";
        EXPECT_EQ(
            verifyResponseAuthenticator(v.hex, v.request_auth.data(), secret) ? "valid" : "invalid",
            want_auth);
    } else if (hasHashedRequestAuthenticator(p.code())) {
        EXPECT_EQ(verifyRequestAuthenticator(p, secret) ? "valid" : "invalid", want_auth);
    } else {
        EXPECT_FALSE(verifyRequestAuthenticator(p, secret));
    }

    // PAP.
    if (v.has_password) {
        const AttrRef* pw = p.find(0, attr::kUserPassword);
        ASSERT_NE(pw, nullptr);
        uint8_t plain[128];
        auto n = crypto::unhideUserPassword(p.value(*pw), secret, p.authenticator(), plain);
        ASSERT_TRUE(n.has_value());
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(plain), *n), v.password);
    }

    // Text form: exactly the attr: lines, in order.
    std::string want_text;
    for (const auto& a : v.attrs)
        want_text += a + "\n";
    const std::string text = formatPacket(dict, p);
    if (text != want_text) {
        std::string as_lines;
        std::stringstream ss(text);
        for (std::string l; std::getline(ss, l);)
            as_lines += "attr: " + l + "\n";
        ADD_FAILURE() << "formatPacket differs; got:\n" << as_lines;
    }

    // Text back to the same octets.
    if (v.reencode) {
        std::array<uint8_t, kMaxPacketLength> buf{};
        PacketWriter w(buf, &dict);
        std::string problem;
        auto out = reencode(v, p, secret, w, problem);
        ASSERT_TRUE(problem.empty()) << problem;
        ASSERT_TRUE(out.has_value()) << describe(out.error());
        EXPECT_EQ(toHex(*out), toHex(p.wire()));
    }
}

std::string vectorName(const ::testing::TestParamInfo<size_t>& info) {
    std::string n = vectors()[info.param].name;
    for (char& c : n) {
        if (!std::isalnum(static_cast<unsigned char>(c)))
            c = '_';
    }
    return n;
}

std::vector<size_t> indices() {
    std::vector<size_t> out(vectors().size());
    for (size_t i = 0; i < out.size(); ++i)
        out[i] = i;
    return out;
}

INSTANTIATE_TEST_SUITE_P(Vectors, VectorTest, ::testing::ValuesIn(indices()), vectorName);

TEST(Vectors, NamesAreUniqueAndEveryFileIsUsed) {
    std::vector<std::string> names;
    for (const auto& v : vectors())
        names.push_back(v.name);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
    EXPECT_GE(vectors().size(), 40u);
}

}  // namespace
}  // namespace gatehouse::radius
