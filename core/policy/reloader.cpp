#include "core/policy/reloader.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/policy/sighup.hpp"

namespace gatehouse::policy {

Reloader::Reloader(ReloaderOptions options, Callback callback)
    : options_(std::move(options)), callback_(std::move(callback)) {}

Reloader::~Reloader() {
    stop();
    if (stop_fd_ >= 0)
        ::close(stop_fd_);
}

Expected<void, std::string> Reloader::start() {
    if (thread_.joinable())
        return {};
    if (stop_fd_ < 0) {
        stop_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (stop_fd_ < 0)
            return unexpected(std::string("eventfd: ") + std::strerror(errno));
    }
    if (options_.watch_files) {
        if (auto opened = watcher_.open(options_.directory); !opened)
            return unexpected("watching " + opened.error());
    }
    int sighup_fd = -1;
    if (options_.sighup) {
        auto installed = SighupPipe::install();
        if (!installed)
            return unexpected(installed.error());
        sighup_fd = *installed;
    }
    thread_ = std::thread([this, sighup_fd] { run(options_.watch_files, sighup_fd); });
    return {};
}

void Reloader::stop() {
    if (!thread_.joinable())
        return;
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(stop_fd_, &one, sizeof one);
    thread_.join();
    uint64_t drained = 0;
    n = ::read(stop_fd_, &drained, sizeof drained);
}

void Reloader::run(bool watching, int sighup_fd) {
    using Clock = std::chrono::steady_clock;
    bool pending = false;             // a burst of file events is being debounced
    Clock::time_point first_event{};  // its first event
    Clock::time_point due{};
    for (;;) {
        pollfd fds[3];
        nfds_t n = 0;
        fds[n++] = pollfd{stop_fd_, POLLIN, 0};
        const nfds_t watch_index = watching ? n : 99;
        if (watching)
            fds[n++] = pollfd{watcher_.fd(), POLLIN, 0};
        const nfds_t sighup_index = sighup_fd >= 0 ? n : 99;
        if (sighup_fd >= 0)
            fds[n++] = pollfd{sighup_fd, POLLIN, 0};

        int timeout_ms = -1;
        if (pending) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(due - Clock::now()).count();
            timeout_ms = left > 0 ? static_cast<int>(left) : 0;
        }
        const int ready = ::poll(fds, n, timeout_ms);
        if (ready < 0 && errno != EINTR)
            return;
        if (ready > 0 && (fds[0].revents & POLLIN))
            return;
        if (ready > 0 && sighup_index != 99 && (fds[sighup_index].revents & POLLIN)) {
            if (SighupPipe::drain()) {
                // An explicit request: reload now, and forget pending file events (this
                // reload reads them too).
                pending = false;
                if (watching)
                    watcher_.drain();
                callback_("sighup");
                sighup_reloads_.fetch_add(1);
                continue;
            }
        }
        if (ready > 0 && watch_index != 99 && (fds[watch_index].revents & POLLIN)) {
            if (watcher_.drain()) {
                const auto now = Clock::now();
                if (!pending) {
                    pending = true;
                    first_event = now;
                }
                due = std::min(now + options_.debounce, first_event + options_.max_delay);
            }
        }
        if (pending && Clock::now() >= due) {
            pending = false;
            callback_("file");
            file_reloads_.fetch_add(1);
        }
    }
}

}  // namespace gatehouse::policy
