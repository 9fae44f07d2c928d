#include "core/bench/command.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdio>
#include <memory>

#include "core/bench/engine.hpp"

namespace gatehouse::bench {

namespace {

// The one signal handler's flag: SIGINT/SIGTERM end the sending early and the summary is
// still printed. A plain global is what a signal handler can touch.
std::atomic<bool> g_stop{false};

extern "C" void onStopSignal(int) {
    g_stop.store(true, std::memory_order_relaxed);
}

int runCommand(const Options& o) {
    struct sigaction sa {};
    sa.sa_handler = onStopSignal;
    sa.sa_flags = SA_RESETHAND;  // a second Ctrl-C ends the process at once
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    auto report = runBench(o, &g_stop);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (!report) {
        std::fprintf(stderr, "gatehouse bench: %s\n", report.error().c_str());
        return 2;
    }
    const std::string out = o.json ? formatJson(*report) : formatText(*report);
    std::fputs(out.c_str(), stdout);
    std::fflush(stdout);
    return report->counters.errors() != 0 ? 1 : 0;
}

}  // namespace

void addBenchCommand(CLI::App& app) {
    auto options = std::make_shared<Options>();
    auto mode_name = std::make_shared<std::string>("pap");
    CLI::App* cmd = app.add_subcommand(
        "bench",
        "RADIUS load generator: sends Access-Requests (pap, chap, mschapv2), Status-Server or\n"
        "accounting sessions (acct: Start, --interims Interim-Updates, Stop) with --window\n"
        "requests outstanding over --sockets source ports, checks the Response Authenticator\n"
        "(and Message-Authenticator) of every answer, and prints counts, answers/s and latency.\n"
        "Exit status: 0 done, 1 some responses failed verification or were unmatched, 2 setup "
        "error.");
    Options& o = *options;
    cmd->add_option("mode", *mode_name, "pap | chap | mschapv2 | acct | status")
        ->check(CLI::IsMember({"pap", "chap", "mschapv2", "acct", "status"}))
        ->capture_default_str();
    cmd->add_option("--server", o.server, "Server IPv4 address")->capture_default_str();
    cmd->add_option("--port", o.port, "Server UDP port (default: 1812, or 1813 for acct)");
    cmd->add_option("--secret", o.secret, "Shared secret")->capture_default_str();
    auto* count = cmd->add_option("--count,-n", o.count,
                                  "Requests to send (first transmissions); ignored with --duration")
                      ->capture_default_str();
    cmd->add_option("--duration,-d", o.duration_s,
                    "Send new requests for this many seconds, then wait for the outstanding ones")
        ->check(CLI::Range(0.0, 86400.0))
        ->excludes(count);
    cmd->add_option("--window,-w", o.window,
                    "Requests outstanding at once, over all source ports and threads (at most "
                    "256 per source port)")
        ->capture_default_str();
    cmd->add_option("--sockets,--source-ports", o.sockets,
                    "Source ports (connected UDP sockets), spread over the threads")
        ->capture_default_str();
    cmd->add_option("--threads,-t", o.threads, "Sending threads")->capture_default_str();
    cmd->add_option("--users", o.users, "Population: user indexes 0..N-1, used in turn")
        ->capture_default_str();
    cmd->add_option("--user-pattern", o.user_pattern,
                    "User-Name from the index: one %d, %Nd or %0Nd; %% for a percent sign")
        ->capture_default_str();
    cmd->add_option("--password-pattern", o.password_pattern,
                    "Password from the index (same syntax as --user-pattern)")
        ->capture_default_str();
    cmd->add_option("--timeout", o.timeout_ms,
                    "Milliseconds to wait for an answer before retransmitting or giving up")
        ->capture_default_str();
    cmd->add_option("--retries", o.retries,
                    "Retransmissions (same Identifier and authenticator) before a request "
                    "counts as timed out")
        ->check(CLI::Range(0, 10))
        ->capture_default_str();
    cmd->add_option("--interims", o.interims,
                    "acct: Interim-Updates per session between Start and Stop")
        ->capture_default_str();
    cmd->add_option("--nas-ip", o.nas_ip, "NAS-IP-Address sent in every request")
        ->capture_default_str();
    // Plain flags with callbacks: CLI11 prints "{false}" after a negated ("!--x") flag's name.
    cmd->add_flag_callback(
        "--no-message-authenticator", [options] { options->message_authenticator = false; },
        "Do not put a Message-Authenticator in Access-Requests (default: first "
        "attribute of every Access-Request, BlastRADIUS)");
    cmd->add_flag("--require-ma", o.require_ma,
                  "Count Access responses without a Message-Authenticator as errors (an invalid "
                  "one always is)");
    cmd->add_flag_callback(
        "--no-gso", [options] { options->gso = false; },
        "Send every request with its own system call entry instead of cutting runs of "
        "equal-sized requests from one buffer (UDP_SEGMENT); the server sees the same "
        "datagrams either way");
    cmd->add_flag("--json", o.json, "Print the summary as one JSON object");
    cmd->callback([options, mode_name] {
        options->mode = parseMode(*mode_name).value_or(Mode::kPap);
        if (std::string e = validate(*options); !e.empty()) {
            throw CLI::ValidationError("bench", e);
        }
        const int rc = runCommand(*options);
        if (rc != 0)
            throw CLI::RuntimeError(rc);
    });
}

}  // namespace gatehouse::bench
