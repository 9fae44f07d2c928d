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

}  // namespace gatehouse::testing
