#pragma once
// SIGHUP as a readable descriptor: the handler only write()s one byte to a self-pipe (the one
// thing a handler may safely do); the reloader thread polls the read end and does the work.
#include <string>

#include "core/util/expected.hpp"

namespace gatehouse::policy {

class SighupPipe {
  public:
    /// Installs the handler (once per process; later calls return the same descriptor).
    /// Returns the non-blocking read end.
    static Expected<int, std::string> install();
    /// Empties the pipe; true when at least one SIGHUP arrived since the last call.
    static bool drain();
    /// Puts back the default disposition (tests).
    static void uninstall();
};

}  // namespace gatehouse::policy
