#include "core/policy/watcher.hpp"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace gatehouse::policy {

namespace {

constexpr uint32_t kMask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                           IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

}  // namespace

DirectoryWatcher::~DirectoryWatcher() {
    if (fd_ >= 0)
        ::close(fd_);
}

bool DirectoryWatcher::relevantName(const std::string& name) {
    if (name.empty() || name.front() == '.')  // .default.lua.swp, .#default.lua, ...
        return false;
    return name.ends_with(".lua");
}

void DirectoryWatcher::addTree(const std::string& dir) {
    const int wd = inotify_add_watch(fd_, dir.c_str(), kMask);
    if (wd < 0)
        return;  // vanished meanwhile, or not a directory: the next event tells
    dirs_[wd] = dir;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        if (entry.is_directory(ec) && !entry.is_symlink(ec))
            addTree(entry.path().string());
    }
}

Expected<void, std::string> DirectoryWatcher::open(const std::string& dir) {
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0)
        return unexpected(std::string("inotify_init1: ") + std::strerror(errno));
    root_ = dir;
    addTree(dir);
    if (dirs_.empty())
        return unexpected(dir + ": " + std::strerror(errno));
    return {};
}

bool DirectoryWatcher::drain() {
    bool relevant = false;
    alignas(inotify_event) char buf[16 * 1024];
    for (;;) {
        const ssize_t n = ::read(fd_, buf, sizeof buf);
        if (n <= 0)
            break;  // EAGAIN: drained
        for (ssize_t off = 0; off < n;) {
            const auto* ev = reinterpret_cast<const inotify_event*>(buf + off);
            off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
            const std::string name = ev->len ? std::string(ev->name) : std::string();
            if (ev->mask & IN_IGNORED) {
                dirs_.erase(ev->wd);
                continue;
            }
            if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
                relevant = true;  // the tree moved: a reload will say what is left
                continue;
            }
            if (ev->mask & IN_ISDIR) {
                if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
                    auto it = dirs_.find(ev->wd);
                    if (it != dirs_.end())
                        addTree(it->second + "/" + name);
                }
                relevant = true;  // a directory of modules came or went
                continue;
            }
            // IN_CREATE alone is an empty new file; its IN_CLOSE_WRITE follows.
            if ((ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE)) &&
                relevantName(name)) {
                relevant = true;
            }
        }
    }
    if (dirs_.empty() && !root_.empty()) {
        // The root itself was replaced (rename of a fresh checkout into place): watch the new one.
        addTree(root_);
    }
    return relevant;
}

}  // namespace gatehouse::policy
