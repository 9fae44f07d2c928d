#pragma once
// Every function, object and field a policy sees, described once: docs/policy-api.md is
// generated from this table (a unit test keeps the committed file equal to it), and the
// `gatehouse policy` help can list it.
#include <span>
#include <string>
#include <string_view>

namespace gatehouse::bindings {

struct ApiItem {
    std::string_view section;       // the heading it is listed under
    std::string_view name;          // as a policy writes it: "req:get(name)"
    std::string_view entry_points;  // where it may be used: "all", "authorize", "tests", ...
    std::string_view description;   // what it does and returns (Markdown)
    std::string_view example;       // Lua
};

/// The whole policy API, in the order of the reference.
std::span<const ApiItem> policyApi();

/// The text of docs/policy-api.md.
std::string generatePolicyApiDoc();

}  // namespace gatehouse::bindings
