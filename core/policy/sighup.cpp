#include "core/policy/sighup.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>

namespace gatehouse::policy {

namespace {

// A signal handler can reach only globals; these are written once, before the handler is
// installed, and never again while it is.
int g_pipe[2] = {-1, -1};
std::mutex g_install_mu;

extern "C" void onSighup(int) {
    const int saved = errno;
    const char byte = 1;
    // Full pipe: a reload is already pending, losing this byte loses nothing.
    [[maybe_unused]] ssize_t n = ::write(g_pipe[1], &byte, 1);
    errno = saved;
}

}  // namespace

Expected<int, std::string> SighupPipe::install() {
    std::lock_guard lock(g_install_mu);
    if (g_pipe[0] < 0) {
        if (::pipe2(g_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
            return unexpected(std::string("pipe2: ") + std::strerror(errno));
    }
    struct sigaction sa {};
    sa.sa_handler = onSighup;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (::sigaction(SIGHUP, &sa, nullptr) != 0)
        return unexpected(std::string("sigaction(SIGHUP): ") + std::strerror(errno));
    return g_pipe[0];
}

bool SighupPipe::drain() {
    if (g_pipe[0] < 0)
        return false;
    bool got = false;
    char buf[64];
    while (::read(g_pipe[0], buf, sizeof buf) > 0)
        got = true;
    return got;
}

void SighupPipe::uninstall() {
    std::lock_guard lock(g_install_mu);
    std::signal(SIGHUP, SIG_DFL);
}

}  // namespace gatehouse::policy
