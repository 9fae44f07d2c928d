#include "tests/integration/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

namespace gatehouse::testing {

ProcessResult runProcess(const std::vector<std::string>& argv, const std::string& input,
                         int timeout_seconds) {
    ProcessResult result;
    int in_pipe[2], out_pipe[2];
    if (pipe(in_pipe) != 0 || pipe(out_pipe) != 0)
        return result;
    pid_t pid = fork();
    if (pid < 0)
        return result;
    if (pid == 0) {
        dup2(in_pipe[0], 0);
        dup2(out_pipe[1], 1);
        dup2(out_pipe[1], 2);
        close(in_pipe[1]);
        close(out_pipe[0]);
        std::vector<char*> args;
        for (const auto& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    close(in_pipe[0]);
    close(out_pipe[1]);
    // Small inputs only: the whole input fits in the pipe buffer.
    if (!input.empty() && write(in_pipe[1], input.data(), input.size()) < 0) {
        result.output = "write to child failed";
    }
    close(in_pipe[1]);

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
    char buf[4096];
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            kill(pid, SIGKILL);
            result.output += "\n[killed after timeout]\n";
            break;
        }
        pollfd pfd{out_pipe[0], POLLIN, 0};
        int r = poll(&pfd, 1, static_cast<int>(left.count()));
        if (r <= 0)
            continue;
        ssize_t n = read(out_pipe[0], buf, sizeof(buf));
        if (n <= 0)
            break;
        result.output.append(buf, static_cast<size_t>(n));
    }
    close(out_pipe[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status))
        result.exit_code = WEXITSTATUS(status);
    return result;
}

bool haveProgram(const std::string& program) {
    std::string cmd = "command -v " + program + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
}

ChildProcess::ChildProcess(std::vector<std::string> argv, const std::string& ready,
                           const std::string& err_file) {
    int out[2];
    if (pipe(out) != 0)
        return;
    pid_ = fork();
    if (pid_ == 0) {
        dup2(out[1], 1);
        const int err = ::open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (err >= 0)
            dup2(err, 2);
        ::close(out[0]);
        std::vector<char*> args;
        for (auto& a : argv)
            args.push_back(a.data());
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    ::close(out[1]);
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        const size_t nl = text.find('\n');
        if (nl != std::string::npos) {
            std::string line = text.substr(0, nl);
            text.erase(0, nl + 1);
            if (line.rfind(ready, 0) == 0) {
                line_ = line;
                break;
            }
            continue;
        }
        pollfd pfd{out[0], POLLIN, 0};
        if (poll(&pfd, 1, 200) <= 0)
            continue;
        char c[256];
        const ssize_t n = read(out[0], c, sizeof(c));
        if (n <= 0)
            break;
        text.append(c, static_cast<size_t>(n));
    }
    ::close(out[0]);
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(other.pid_), line_(std::move(other.line_)) {
    other.pid_ = -1;
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0) {
        kill(pid_, SIGTERM);
        waitpid(pid_, nullptr, 0);
    }
}

uint16_t ChildProcess::number(const std::string& key) const {
    const size_t at = line_.find(key);
    return at == std::string::npos
               ? 0
               : static_cast<uint16_t>(std::atoi(line_.c_str() + at + key.size()));
}

namespace {
std::vector<std::string> responderArgv(const std::vector<std::string>& flags,
                                       const std::string& seed) {
    const std::string dir = std::string(GH_SOURCE_DIR) + "/tests/nas/";
    std::vector<std::string> argv{"python3", dir + "routeros_responder.py", "--seed",
                                  seed.empty() ? dir + "seed.json" : seed};
    argv.insert(argv.end(), flags.begin(), flags.end());
    return argv;
}
}  // namespace

RouterOsResponder::RouterOsResponder(const std::vector<std::string>& flags, const std::string& seed,
                                     const std::string& err_file)
    : child_(responderArgv(flags, seed), "READY ", err_file) {}

}  // namespace gatehouse::testing
