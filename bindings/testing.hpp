#pragma once
// The `testing` module of *.test.lua files and the runner behind PolicyHost::runTests: real
// request objects built by the codec, model objects with C++ defaults, assertions that report
// the file:line of the failing call, and golden files read and written by C++ only.
#include <lua.hpp>

#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bindings/state.hpp"
#include "core/policy/context.hpp"
#include "core/radius/packet.hpp"

namespace gatehouse::bindings {

/// What one test created (requests with their bytes, subscribers, ...), freed when it ends.
class TestArena {
  public:
    struct Request {
        std::array<uint8_t, radius::kMaxPacketLength> buffer{};
        radius::Packet packet;
        std::string auth_method;
        policy::RequestContext ctx;
    };

    void clear();

    std::deque<std::unique_ptr<Request>> requests;
    std::deque<policy::Subscriber> subscribers;
    std::unordered_map<const policy::Service*, std::shared_ptr<const policy::Service>> services;
    std::deque<policy::Nas> nases;
    std::deque<policy::Settings> settings;

    std::string directory;       // the policy directory (golden files live under it)
    std::string current_file;    // the running test file, "vendors/mikrotik.test.lua"
    bool update_golden = false;  // GATEHOUSE_UPDATE_GOLDEN=1
};

struct TestCaseResult {
    std::string file;
    std::string name;
    bool passed = false;
    std::string failure;  // "file:line: expected ..., got ..."
};

struct TestFile {
    std::string name;  // "default.test.lua"
    const std::string* source = nullptr;
};

/// Runs every test of `files` in this VM, each with a fresh budget and a fresh arena: a test
/// file returns a table of functions and/or calls test(name, fn). An error fails that test only.
std::vector<TestCaseResult> runTestFiles(lua_State* L, VmState& st,
                                         const std::vector<TestFile>& files,
                                         const std::string& directory);

/// The canonical text of a Lua value (sorted keys, two-space indent) used by t.same and
/// t.golden: tables print as { list items, then key = value sorted by key }.
std::string renderValue(lua_State* L, int idx);

}  // namespace gatehouse::bindings
