#include "core/api/permissions.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/api/http.hpp"

namespace gatehouse::api {
namespace {

Caller callerWith(std::vector<std::string> permissions, std::optional<int64_t> reseller = {}) {
    Caller c;
    c.admin_id = 7;
    c.username = "op";
    std::sort(permissions.begin(), permissions.end());
    c.permissions = std::move(permissions);
    c.reseller_id = reseller;
    return c;
}

TEST(PermissionCatalogue, HoldsTheSeedsPermissionsOnceEach) {
    std::set<std::string> names;
    for (const auto& p : permissionCatalogue()) {
        EXPECT_TRUE(names.insert(std::string(p.name)).second) << p.name;
        EXPECT_FALSE(p.description.empty()) << p.name;
    }
    for (const char* resource : {"nas", "subscribers", "services", "admins"})
        for (const char* verb : {"view", "create", "edit", "delete"})
            EXPECT_TRUE(names.count(std::string(resource) + "." + verb)) << resource << verb;
    for (const char* name : {"sessions.view", "sessions.disconnect", "settings.view",
                             "settings.edit", "pools.view", "pools.edit", "logs.view",
                             "policies.view", "policies.reload", "policies.eval", "dashboard.view"})
        EXPECT_TRUE(names.count(name)) << name;
    EXPECT_TRUE(isKnownPermission("nas.view"));
    EXPECT_FALSE(isKnownPermission("nas.launch"));
}

TEST(CallerRequire, PassesWithThePermission) {
    EXPECT_NO_THROW(callerWith({"nas.view"}).require("nas.view"));
}

TEST(CallerRequire, RefusesWith403NamingThePermission) {
    try {
        callerWith({"nas.view"}).require("admins.create");
        FAIL() << "no throw";
    } catch (const ApiError& e) {
        EXPECT_EQ(e.status(), 403);
        EXPECT_EQ(e.code(), "forbidden");
        EXPECT_EQ(std::string(e.what()), "permission admins.create is required");
    }
}

TEST(CallerMissing, ListsWhatTheCallerLacksSortedOnce) {
    auto c = callerWith({"nas.view", "nas.edit"});
    EXPECT_EQ(c.missing({"nas.view", "settings.edit", "admins.view", "settings.edit"}),
              (std::vector<std::string>{"admins.view", "settings.edit"}));
}

TEST(ScopeSql, WholeIspAdminSeesEverything) {
    auto c = callerWith({});
    EXPECT_EQ(subscriberScopeSql(c, "s"), "TRUE");
    EXPECT_EQ(nasScopeSql(c, "n"), "TRUE");
    EXPECT_EQ(adminScopeSql(c, "a"), "TRUE");
}

TEST(ScopeSql, ResellerSeesItsOwnRowsAndAssignedNas) {
    auto c = callerWith({}, 42);
    EXPECT_EQ(subscriberScopeSql(c, "s"), "s.reseller_id = 42");
    EXPECT_EQ(nasScopeSql(c, "n"),
              "n.id IN (SELECT nas_id FROM reseller_nas WHERE reseller_id = 42)");
    EXPECT_EQ(adminScopeSql(c, "a"), "a.reseller_id = 42");
}

}  // namespace
}  // namespace gatehouse::api
