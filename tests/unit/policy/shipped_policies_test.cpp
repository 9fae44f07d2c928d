// The shipped policies/ directory compiles in the engine and its own *.test.lua pass.
#include <filesystem>
#include <fstream>

#include "tests/unit/policy/engine_fixture.hpp"

namespace gatehouse::policy::enginetest {
namespace {

TEST(ShippedPolicies, CompileAndPassTheirTests) {
    const std::string dir = std::string(GH_SOURCE_DIR) + "/policies";
    if (!std::filesystem::exists(dir + "/default.lua")) {
        GTEST_SKIP() << dir << "/default.lua does not exist yet";
    }
    auto bundle = PolicyBundle::loadDirectory(dir, EngineConfig{});
    ASSERT_TRUE(bundle.has_value()) << bundle.error().describe();
    auto h = PolicyHost::create(*bundle, dict());
    ASSERT_TRUE(h.has_value()) << h.error().describe();
    TestReport report = (*h)->runTests();
    for (const auto& c : report.cases) {
        EXPECT_TRUE(c.passed) << c.file << ": " << c.name << ": " << c.failure;
    }
    EXPECT_GT(report.cases.size(), 0u);
    EXPECT_EQ((*h)->stackDepth(), 0);
    // A typical request through the real default policy.
    auto r = pppoeRequest();
    Decision d = (*h)->authorize(r->ctx);
    EXPECT_EQ(d.policy_error, "");
}

TEST(PolicyBundle, LoadDirectoryRefusesEscapingSymlinks) {
    auto dir = std::filesystem::temp_directory_path() / "gh-engine-bundle";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir / "lib");
    std::ofstream(dir / "default.lua") << "function authorize() end\n";
    std::ofstream(dir / "lib" / "a.lua") << "return {}\n";
    std::ofstream(dir / "notes.txt") << "not lua\n";
    auto ok = PolicyBundle::loadDirectory(dir.string(), EngineConfig{});
    ASSERT_TRUE(ok.has_value()) << ok.error().describe();
    ASSERT_EQ((*ok)->files().size(), 2u);
    EXPECT_EQ((*ok)->files()[0].name, "default.lua");
    EXPECT_EQ((*ok)->files()[1].name, "lib/a.lua");
    EXPECT_NE((*ok)->module("lib.a"), nullptr);
    EXPECT_EQ((*ok)->module("lib.b"), nullptr);
    EXPECT_EQ((*ok)->fingerprint().size(), 16u);

    std::filesystem::create_symlink("/etc/hostname", dir / "lib" / "evil.lua");
    auto bad = PolicyBundle::loadDirectory(dir.string(), EngineConfig{});
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().describe(), "lib/evil.lua: symlink leads outside the policy directory");
    std::filesystem::remove(dir / "lib" / "evil.lua");

    std::filesystem::create_symlink(dir / "lib" / "a.lua", dir / "lib" / "b.lua");
    auto inside = PolicyBundle::loadDirectory(dir.string(), EngineConfig{});
    ASSERT_TRUE(inside.has_value());
    EXPECT_NE((*inside)->module("lib.b"), nullptr);

    std::filesystem::remove(dir / "default.lua");
    auto no_entry = PolicyBundle::loadDirectory(dir.string(), EngineConfig{});
    ASSERT_FALSE(no_entry.has_value());
    EXPECT_EQ(no_entry.error().file, "default.lua");
    std::filesystem::remove_all(dir);
}

TEST(PolicyBundle, FingerprintChangesWithAnyFile) {
    auto a = PolicyBundle::fromFiles({{"default.lua", "x"}}, {});
    auto b = PolicyBundle::fromFiles({{"default.lua", "y"}}, {});
    auto c = PolicyBundle::fromFiles({{"default.lua", "x"}}, {});
    EXPECT_NE(a->fingerprint(), b->fingerprint());
    EXPECT_EQ(a->fingerprint(), c->fingerprint());
}

TEST(PolicyError, Describe) {
    EXPECT_EQ((PolicyError{"a.lua", 3, "boom"}).describe(), "a.lua:3: boom");
    EXPECT_EQ((PolicyError{"a.lua", 0, "boom"}).describe(), "a.lua: boom");
    EXPECT_EQ((PolicyError{"", 0, "boom"}).describe(), "boom");
}

}  // namespace
}  // namespace gatehouse::policy::enginetest
