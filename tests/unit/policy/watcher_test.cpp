// Reload triggers: inotify on the policy tree (debounced), SIGHUP through a self-pipe.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <mutex>
#include <thread>

#include "core/policy/reloader.hpp"
#include "core/policy/sighup.hpp"
#include "core/policy/store.hpp"
#include "core/policy/watcher.hpp"
#include "tests/unit/policy/policy_fixture.hpp"

namespace gatehouse::policy {
namespace {

using testing::TempDir;

// Waits for something another thread does; the bound only keeps a broken build from hanging.
bool eventually(const std::function<bool()>& done) {
    for (int i = 0; i < 1000; ++i) {
        if (done())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
}

struct Triggers {
    std::mutex mu;
    std::vector<std::string> seen;
    void operator()(std::string_view trigger) {
        std::lock_guard lock(mu);
        seen.emplace_back(trigger);
    }
    size_t count() {
        std::lock_guard lock(mu);
        return seen.size();
    }
};

TEST(DirectoryWatcher, SeesLuaFilesOnlyIncludingRenameIntoPlaceAndNewSubdirectories) {
    TempDir dir;
    dir.write("default.lua", "-- v1\n");
    DirectoryWatcher w;
    ASSERT_TRUE(w.open(dir.path()));
    EXPECT_FALSE(w.drain());

    dir.write("notes.txt", "x");
    dir.write(".default.lua.swp", "x");
    dir.write("default.lua~", "x");
    EXPECT_FALSE(w.drain());

    dir.write("default.lua", "-- v2\n");
    EXPECT_TRUE(w.drain());
    EXPECT_FALSE(w.drain());

    // How vim and `mv` save: write elsewhere, rename over the file.
    dir.write(".default.lua.tmp", "-- v3\n");
    EXPECT_FALSE(w.drain());
    std::filesystem::rename(dir.path() + "/.default.lua.tmp", dir.path() + "/default.lua");
    EXPECT_TRUE(w.drain());

    std::filesystem::create_directory(dir.path() + "/lib");
    EXPECT_TRUE(w.drain());  // a directory came: a reload reads what is in it
    dir.write("lib/fup.lua", "return {}\n");
    EXPECT_TRUE(w.drain());  // watched although created after open()

    std::filesystem::remove(dir.path() + "/lib/fup.lua");
    EXPECT_TRUE(w.drain());
}

TEST(DirectoryWatcher, RefusesAMissingDirectory) {
    DirectoryWatcher w;
    auto opened = w.open("/nonexistent/gatehouse-policies");
    ASSERT_FALSE(opened);
    EXPECT_EQ(opened.error(), "/nonexistent/gatehouse-policies: No such file or directory");
}

TEST(Reloader, ABurstOfWritesIsOneReloadAfterTheDebounce) {
    TempDir dir;
    dir.write("default.lua", "-- v1\n");
    Triggers triggers;
    ReloaderOptions options;
    options.directory = dir.path();
    options.sighup = false;
    options.debounce = std::chrono::milliseconds(300);
    Reloader reloader(options, std::ref(triggers));
    ASSERT_TRUE(reloader.start());

    // An editor plus a checkout: several files, several writes each.
    for (int i = 0; i < 5; ++i) {
        dir.write("default.lua", "-- v" + std::to_string(i) + "\n");
        dir.write("lib/util.lua", "return {}\n");
        dir.write("default.test.lua", "-- t\n");
    }
    ASSERT_TRUE(eventually([&] { return triggers.count() >= 1; }));
    // Three debounce periods later, still one.
    std::this_thread::sleep_for(std::chrono::milliseconds(900));
    EXPECT_EQ(triggers.count(), 1u);
    EXPECT_EQ(triggers.seen[0], "file");
    EXPECT_EQ(reloader.fileReloads(), 1u);

    // A later change is a reload of its own.
    dir.write("default.lua", "-- again\n");
    ASSERT_TRUE(eventually([&] { return triggers.count() >= 2; }));
    reloader.stop();
    EXPECT_EQ(reloader.fileReloads(), 2u);
}

TEST(Reloader, SighupTriggersAReload) {
    Triggers triggers;
    ReloaderOptions options;
    options.watch_files = false;
    options.sighup = true;
    Reloader reloader(options, std::ref(triggers));
    ASSERT_TRUE(reloader.start());
    ASSERT_EQ(std::raise(SIGHUP), 0);  // handled: the process lives on
    ASSERT_TRUE(eventually([&] { return triggers.count() >= 1; }));
    reloader.stop();
    SighupPipe::uninstall();
    EXPECT_EQ(triggers.seen[0], "sighup");
    EXPECT_EQ(reloader.sighupReloads(), 1u);
    EXPECT_EQ(reloader.fileReloads(), 0u);
}

TEST(Reloader, DrivesTheStoreFromFileChanges) {
    TempDir dir;
    dir.write("default.lua", testing::acceptingPolicy("A"));
    dir.write("default.test.lua", testing::acceptingTest("A"));
    StoreOptions store_options;
    store_options.directory = dir.path();
    PolicyStore store(radius::Dictionary::builtin(), store_options);
    ASSERT_TRUE(store.reload("startup").ok);

    ReloaderOptions options;
    options.directory = dir.path();
    options.sighup = false;
    Reloader reloader(options, [&store](std::string_view trigger) { store.reload(trigger); });
    ASSERT_TRUE(reloader.start());
    // Test first, then the policy: in between the tree is inconsistent, the debounce hides it.
    dir.write("default.test.lua", testing::acceptingTest("B"));
    dir.write("default.lua", testing::acceptingPolicy("B"));
    ASSERT_TRUE(eventually([&] { return store.generation() == 2; }));
    reloader.stop();
    EXPECT_EQ(store.metrics().reloads_refused.load(), 0u);
}

}  // namespace
}  // namespace gatehouse::policy
