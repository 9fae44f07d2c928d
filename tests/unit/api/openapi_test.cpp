// Issue 7: "a test that checks every route of the server is in the spec and every route of the
// spec answers". The real router (buildRouter, with deps that need no database) against the
// `paths:` of docs/api/openapi.yaml, read by a small line-based reader (no YAML library): a
// path is a two-space key "  /api/v1/...:", a method a four-space key "    get:".
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "core/api/routes/all.hpp"

namespace gatehouse::api {
namespace {

using Operation = std::pair<std::string, std::string>;  // {"GET", "/api/v1/health"}

std::string upper(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

// The key of a line indented by exactly `indent` spaces ("  /a:" -> "/a"), or "".
std::string keyAt(const std::string& line, size_t indent) {
    if (line.size() <= indent || line.compare(0, indent, std::string(indent, ' ')) != 0 ||
        line[indent] == ' ' || line[indent] == '#')
        return {};
    const size_t colon = line.find(':', indent);
    if (colon == std::string::npos)
        return {};
    std::string rest = line.substr(colon + 1);
    if (rest.find_first_not_of(' ') != std::string::npos &&
        rest[rest.find_first_not_of(' ')] != '#')
        return {};  // "key: value" is not a mapping key of the shape we read
    return line.substr(indent, colon - indent);
}

std::set<Operation> specOperations(const std::string& file) {
    static const std::set<std::string> kMethods = {"get", "put", "post", "delete", "patch"};
    std::ifstream in(file);
    EXPECT_TRUE(in) << "cannot open " << file;
    std::set<Operation> out;
    bool in_paths = false;
    std::string path;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.empty() || line.find_first_not_of(' ') == std::string::npos)
            continue;
        if (line[0] != ' ' && line[0] != '#') {
            in_paths = line == "paths:";
            continue;
        }
        if (!in_paths)
            continue;
        if (std::string p = keyAt(line, 2); !p.empty()) {
            path = p;
            EXPECT_EQ(path.rfind("/api/v1/", 0), 0u) << "spec path outside /api/v1: " << path;
        } else if (std::string m = keyAt(line, 4); !m.empty() && kMethods.count(m) != 0) {
            EXPECT_FALSE(path.empty()) << "method " << m << " before any path";
            out.emplace(upper(m), path);
        }
    }
    return out;
}

// "{id}" -> "1": a concrete path for a pattern.
std::string concrete(const std::string& pattern) {
    std::string out;
    for (size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '{') {
            const size_t close = pattern.find('}', i);
            out += "1";
            i = close;
        } else {
            out += pattern[i];
        }
    }
    return out;
}

TEST(OpenApi, ReaderFindsTheHealthRoute) {
    const auto spec = specOperations(GH_SOURCE_DIR "/docs/api/openapi.yaml");
    EXPECT_EQ(spec.count({"GET", "/api/v1/health"}), 1u);
}

TEST(OpenApi, EveryServerRouteIsInTheSpec) {
    const auto spec = specOperations(GH_SOURCE_DIR "/docs/api/openapi.yaml");
    const Router router = buildRouter(ApiDeps{});
    ASSERT_FALSE(router.routes().empty());
    for (const RouteInfo& r : router.routes())
        EXPECT_EQ(spec.count({r.method, r.pattern}), 1u)
            << "route missing from docs/api/openapi.yaml: " << r.method << " " << r.pattern << " ("
            << r.summary << ")";
}

TEST(OpenApi, EverySpecOperationIsAServerRoute) {
    const auto spec = specOperations(GH_SOURCE_DIR "/docs/api/openapi.yaml");
    const Router router = buildRouter(ApiDeps{});
    std::set<Operation> routes;
    for (const RouteInfo& r : router.routes())
        routes.emplace(r.method, r.pattern);
    for (const Operation& op : spec) {
        EXPECT_EQ(routes.count(op), 1u)
            << "docs/api/openapi.yaml documents a route the server does not have: " << op.first
            << " " << op.second;
        // Reachable too: no earlier pattern of the router shadows it.
        EXPECT_TRUE(router.knows(concrete(op.second))) << op.second;
    }
}

}  // namespace
}  // namespace gatehouse::api
