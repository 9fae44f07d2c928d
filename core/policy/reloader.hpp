#pragma once
// The reload triggers, on one thread of their own: SIGHUP (immediately) and changes under the
// policy directory (debounced, so an editor's burst of writes, or a checkout touching twenty
// files, is one reload). The callback runs on this thread; with the server it is
// `store.reload(trigger)`. The API's reload calls the store directly.
#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "core/policy/watcher.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::policy {

struct ReloaderOptions {
    std::string directory;  // watched when watch_files
    bool watch_files = true;
    bool sighup = true;
    /// Quiet time after the last file event before reloading.
    std::chrono::milliseconds debounce{200};
    /// Reload at the latest this long after the first event of a burst that never goes quiet.
    std::chrono::milliseconds max_delay{2000};
};

class Reloader {
  public:
    using Callback = std::function<void(std::string_view trigger)>;  // "sighup" | "file"

    Reloader(ReloaderOptions options, Callback callback);
    ~Reloader();  // stops the thread
    Reloader(const Reloader&) = delete;
    Reloader& operator=(const Reloader&) = delete;

    /// Opens the watches, installs the SIGHUP handler, starts the thread.
    Expected<void, std::string> start();
    void stop();

    /// Reloads the callback ran, by trigger.
    uint64_t fileReloads() const { return file_reloads_.load(); }
    uint64_t sighupReloads() const { return sighup_reloads_.load(); }

  private:
    void run(bool watching, int sighup_fd);

    ReloaderOptions options_;
    Callback callback_;
    int stop_fd_ = -1;  // eventfd
    std::thread thread_;
    std::atomic<uint64_t> file_reloads_{0};
    std::atomic<uint64_t> sighup_reloads_{0};
    DirectoryWatcher watcher_;
};

}  // namespace gatehouse::policy
