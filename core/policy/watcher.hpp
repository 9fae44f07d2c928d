#pragma once
// Watches a policy directory tree with inotify and says when a *.lua file changed: written and
// closed, renamed into place (how vim, emacs and `git checkout` save), created or deleted.
// Editor scratch files (.swp, ~, 4913) are ignored. Debouncing is the reloader's job; this
// only reads events. Linux only.
#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/util/expected.hpp"

namespace gatehouse::policy {

class DirectoryWatcher {
  public:
    DirectoryWatcher() = default;
    ~DirectoryWatcher();
    DirectoryWatcher(const DirectoryWatcher&) = delete;
    DirectoryWatcher& operator=(const DirectoryWatcher&) = delete;

    /// Starts watching `dir` and every directory below it. Error: the failing path and errno.
    Expected<void, std::string> open(const std::string& dir);
    /// The inotify descriptor (non-blocking), for poll().
    int fd() const { return fd_; }
    /// Reads every pending event; true when one of them concerns a policy file. New
    /// subdirectories are watched as they appear.
    bool drain();

    /// True for names a policy change consists of: "*.lua" (and directories, for tree moves).
    static bool relevantName(const std::string& name);

  private:
    void addTree(const std::string& dir);
    int fd_ = -1;
    std::string root_;
    std::unordered_map<int, std::string> dirs_;  // watch descriptor -> directory path
};

}  // namespace gatehouse::policy
