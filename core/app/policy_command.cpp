// `gatehouse policy check|test|eval|replay`: what an engineer runs before reloading a policy.
// Exit codes: 0 fine, 1 the policy is broken (compile error, failing test, lint errors),
// 2 the input is (bad request JSON, unreadable file).
#include <fmt/core.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "core/app/commands.hpp"
#include "core/policy/bundle.hpp"
#include "core/policy/decision_text.hpp"
#include "core/policy/host.hpp"
#include "core/policy/replay.hpp"
#include "core/policy/request_json.hpp"
#include "core/policy/verify.hpp"
#include "core/radius/dictionary.hpp"

namespace gatehouse::app {

namespace {

struct PolicyOptions {
    std::string dir = "policies";
    std::string candidate;
    std::string request_file;
    bool no_lint = false;
    bool strict_lint = false;
    bool fail_on_change = false;
    uint64_t max_instructions = 1000000;
};

policy::EngineConfig engineConfig(const PolicyOptions& opt) {
    policy::EngineConfig config;
    config.max_instructions = opt.max_instructions;
    return config;
}

// Loads and compiles `dir` in a fresh VM; prints the error as file:line and returns nullptr.
std::unique_ptr<policy::PolicyHost> loadHost(const std::string& dir, const PolicyOptions& opt) {
    auto bundle = policy::PolicyBundle::loadDirectory(dir, engineConfig(opt));
    if (!bundle) {
        fmt::print(stderr, "{}: {}\n", dir, bundle.error().describe());
        return nullptr;
    }
    if (auto compiled = policy::compileEveryFile(**bundle); !compiled) {
        fmt::print(stderr, "{}/{}\n", dir, compiled.error().describe());
        return nullptr;
    }
    auto host = policy::PolicyHost::create(*bundle, radius::Dictionary::builtin());
    if (!host) {
        fmt::print(stderr, "{}/{}\n", dir, host.error().describe());
        return nullptr;
    }
    return std::move(*host);
}

bool onPath(const std::string& program) {
    const char* path = std::getenv("PATH");
    if (!path)
        return false;
    std::stringstream dirs(path);
    std::string d;
    while (std::getline(dirs, d, ':')) {
        if (!d.empty() && ::access((d + "/" + program).c_str(), X_OK) == 0)
            return true;
    }
    return false;
}

std::string shellQuote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

// luacheck exits 0 (clean), 1 (warnings), 2 (errors), 3+ (it could not run).
int lint(const PolicyOptions& opt) {
    if (opt.no_lint) {
        fmt::print("lint: skipped (--no-lint)\n");
        return 0;
    }
    if (!onPath("luacheck")) {
        fmt::print("lint: skipped (luacheck not installed: apt install lua-check)\n");
        return 0;
    }
    std::fflush(stdout);
    const std::string cmd = "luacheck --no-color --codes " + shellQuote(opt.dir);
    const int status = std::system(cmd.c_str());
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 3;
    if (code == 0) {
        fmt::print("lint: ok\n");
        return 0;
    }
    if (code == 1 && !opt.strict_lint) {
        fmt::print("lint: warnings (not fatal without --strict-lint)\n");
        return 0;
    }
    fmt::print("lint: {}\n", code == 1 ? "warnings (fatal with --strict-lint)" : "errors");
    return 1;
}

int runCheck(const PolicyOptions& opt) {
    auto bundle = policy::PolicyBundle::loadDirectory(opt.dir, engineConfig(opt));
    if (!bundle) {
        fmt::print(stderr, "{}: {}\n", opt.dir, bundle.error().describe());
        return 1;
    }
    policy::VerifyReport report =
        policy::verifyBundle(*bundle, radius::Dictionary::builtin(), /*run_tests=*/false);
    if (report.error) {
        fmt::print(stderr, "{}/{}\n", opt.dir, report.error->describe());
        return 1;
    }
    fmt::print("compile: ok, {} files, fingerprint {}\n", (*bundle)->files().size(),
               (*bundle)->fingerprint());
    return lint(opt);
}

int runTests(const PolicyOptions& opt) {
    auto bundle = policy::PolicyBundle::loadDirectory(opt.dir, engineConfig(opt));
    if (!bundle) {
        fmt::print(stderr, "{}: {}\n", opt.dir, bundle.error().describe());
        return 1;
    }
    policy::VerifyReport report = policy::verifyBundle(*bundle, radius::Dictionary::builtin());
    if (report.error) {
        fmt::print(stderr, "{}/{}\n", opt.dir, report.error->describe());
        return 1;
    }
    for (const auto& c : report.tests.cases) {
        fmt::print("{:<4} {} {}\n", c.passed ? "ok" : "FAIL", c.file, c.name);
        if (!c.passed)
            fmt::print("     {}\n", c.failure);
    }
    fmt::print("{} passed, {} failed\n", report.tests.passed(), report.tests.failed());
    return report.tests.failed() == 0 ? 0 : 1;
}

bool readFile(const std::string& path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    std::stringstream buf;
    buf << in.rdbuf();
    out = buf.str();
    return true;
}

int runEval(const PolicyOptions& opt) {
    std::string text;
    if (!readFile(opt.request_file, text)) {
        fmt::print(stderr, "{}: cannot read\n", opt.request_file);
        return 2;
    }
    const radius::Dictionary& dict = radius::Dictionary::builtin();
    auto request = policy::requestFromJsonText(text, dict);
    if (!request) {
        fmt::print(stderr, "{}: {}\n", opt.request_file, request.error());
        return 2;
    }
    auto host = loadHost(opt.dir, opt);
    if (!host)
        return 1;
    const policy::RequestContext ctx = (*request)->context(dict);
    fmt::print("policy: {} ({})\n", opt.dir, host->bundle().fingerprint().substr(0, 12));
    fmt::print("request: {} for {}\n", radius::codeName((*request)->code),
               (*request)->user.empty() ? "(no user name)" : (*request)->user);
    if ((*request)->code == radius::Code::kAccountingRequest) {
        fmt::print("{}", policy::accountingText(host->accounting(ctx)));
    } else {
        fmt::print("{}", policy::decisionText(dict, host->authorize(ctx)));
    }
    return 0;
}

int runReplay(const PolicyOptions& opt) {
    std::ifstream in(opt.request_file);
    if (!in) {
        fmt::print(stderr, "{}: cannot read\n", opt.request_file);
        return 2;
    }
    auto current = loadHost(opt.dir, opt);
    if (!current)
        return 1;
    auto candidate = loadHost(opt.candidate, opt);
    if (!candidate)
        return 1;
    fmt::print("current:   {} ({})\ncandidate: {} ({})\n", opt.dir,
               current->bundle().fingerprint().substr(0, 12), opt.candidate,
               candidate->bundle().fingerprint().substr(0, 12));
    policy::Replayer replayer(*current, *candidate, radius::Dictionary::builtin());
    replayer.addLines(in);
    fmt::print("{}", policy::replayText(replayer.result()));
    if (replayer.result().totals.bad_lines)
        return 2;
    return opt.fail_on_change && replayer.result().totals.changed ? 3 : 0;
}

}  // namespace

void addPolicyCommand(CLI::App& app) {
    auto opt = std::make_shared<PolicyOptions>();
    auto* policy = app.add_subcommand(
        "policy", "Check, test, evaluate and replay Lua policies before reloading them");
    policy->require_subcommand(1);
    policy
        ->add_option("--max-instructions", opt->max_instructions,
                     "Lua instruction budget per call (as the server's policy.max_instructions)")
        ->capture_default_str();

    auto* check = policy->add_subcommand(
        "check", "Compile every file of DIR in a fresh VM (errors as file:line), then lint it");
    check->add_option("dir", opt->dir, "Policy directory")->capture_default_str();
    check->add_flag("--no-lint", opt->no_lint, "Do not run luacheck");
    check->add_flag("--strict-lint", opt->strict_lint, "Fail (exit 1) on luacheck warnings too");
    check->callback([opt] { throw CLI::RuntimeError(runCheck(*opt)); });

    auto* test = policy->add_subcommand(
        "test", "Run the policy's own *.test.lua files; exit 1 when one fails");
    test->add_option("dir", opt->dir, "Policy directory")->capture_default_str();
    test->callback([opt] { throw CLI::RuntimeError(runTests(*opt)); });

    auto* eval = policy->add_subcommand(
        "eval",
        "Print the decision and reply of the policy for one request (JSON, see "
        "docs/policy-tooling.md)");
    eval->add_option("--request", opt->request_file, "Request file (JSON)")->required();
    eval->add_option("--policy", opt->dir, "Policy directory")->capture_default_str();
    eval->callback([opt] { throw CLI::RuntimeError(runEval(*opt)); });

    auto* replay = policy->add_subcommand(
        "replay",
        "Run recorded requests through the current and a candidate policy and print "
        "what would change, per subscriber and in totals");
    replay->add_option("--requests", opt->request_file, "Requests, one JSON object per line")
        ->required();
    replay->add_option("--candidate", opt->candidate, "Candidate policy directory")->required();
    replay->add_option("--policy", opt->dir, "Current policy directory")->capture_default_str();
    replay->add_flag("--fail-on-change", opt->fail_on_change,
                     "Exit 3 when any request would change (for CI)");
    replay->callback([opt] { throw CLI::RuntimeError(runReplay(*opt)); });
}

}  // namespace gatehouse::app
