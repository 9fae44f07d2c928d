#pragma once
// Small policies and helpers shared by the reload, canary, watcher and replay tests.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "core/policy/bundle.hpp"
#include "core/policy/decision.hpp"
#include "core/policy/request_json.hpp"
#include "core/radius/dictionary.hpp"

namespace gatehouse::policy::testing {

class TempDir {
  public:
    TempDir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "gh-policy-XXXXXX").string();
        path_ = ::mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::string& path() const { return path_; }
    void write(const std::string& name, const std::string& text) const {
        const auto p = std::filesystem::path(path_) / name;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::trunc) << text;
    }

  private:
    std::string path_;
};

/// A policy accepting everyone with Reply-Message = `message`, and a test that pins it.
inline std::string acceptingPolicy(const std::string& message) {
    return "function authorize(req, sub, nas)\n"
           "  return accept({ [\"Reply-Message\"] = \"" +
           message +
           "\" })\n"
           "end\n"
           "function accounting(req, sub, nas) return record({ \"" +
           message + "\" }) end\n";
}
inline std::string acceptingTest(const std::string& message) {
    return "local t = require(\"testing\")\n"
           "test(\"accepts with " +
           message +
           "\", function()\n"
           "  local d = authorize(t.request{ [\"User-Name\"] = \"test\" }, nil, t.nas{})\n"
           "  t.eq(d.decision, \"accept\")\n"
           "  t.eq(d.reply[\"Reply-Message\"], \"" +
           message +
           "\")\n"
           "end)\n";
}

inline std::vector<PolicyFile> goodFiles(const std::string& message) {
    return {PolicyFile{"default.lua", acceptingPolicy(message)},
            PolicyFile{"default.test.lua", acceptingTest(message)}};
}

inline std::shared_ptr<const PolicyBundle> goodBundle(const std::string& message) {
    return PolicyBundle::fromFiles(goodFiles(message), EngineConfig{});
}

/// Compiles nothing: `=` missing on line 2.
inline std::shared_ptr<const PolicyBundle> syntaxErrorBundle() {
    return PolicyBundle::fromFiles(
        {PolicyFile{"default.lua", "function authorize(req, sub, nas)\n  local x 1\nend\n"}},
        EngineConfig{});
}

/// Compiles and serves "BROKEN", but its own test expects something else.
inline std::shared_ptr<const PolicyBundle> failingTestBundle() {
    return PolicyBundle::fromFiles({PolicyFile{"default.lua", acceptingPolicy("BROKEN")},
                                    PolicyFile{"default.test.lua", acceptingTest("FIXED")}},
                                   EngineConfig{});
}

/// A request from `user` as eval would build it.
inline std::unique_ptr<JsonRequest> requestFor(const std::string& user,
                                               const std::string& nas_name = "nas1") {
    auto r = requestFromJsonText(
        "{\"code\":\"Access-Request\",\"auth_method\":\"pap\",\"now\":"
        "1700000000,\"request\":{\"User-Name\":\"" +
            user + "\"},\"nas\":{\"name\":\"" + nas_name +
            "\",\"ip\":\"10.0.0.1\",\"type\":\"mikrotik\"}}",
        radius::Dictionary::builtin());
    if (!r)
        std::abort();
    return std::move(*r);
}

/// The Reply-Message of a decision ("" when none).
inline std::string replyMessage(const Decision& d) {
    for (const auto& a : d.reply) {
        if (a.def && a.def->name == "Reply-Message")
            return std::string(a.value.begin(), a.value.end());
    }
    return {};
}

}  // namespace gatehouse::policy::testing
