// `gatehouse nas test NAME`: the NAS page's "Test connection" from the shell (docs/jobs.md
// "Testing a NAS"). Three checks, one line each: RADIUS (this server answers a Status-Server
// signed with the NAS's secret), API (RouterOS login, identity, version), CoA (the NAS
// answers a verified Disconnect for a session that does not exist). Exit 0 only when every
// check that ran passed.
#include <fmt/core.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <exception>
#include <iostream>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "core/app/cli_errors.hpp"
#include "core/app/commands.hpp"
#include "core/app/config.hpp"
#include "core/crypto/secret_box.hpp"
#include "core/jobs/nas_probe.hpp"
#include "core/jobs/nas_target.hpp"
#include "core/radius/dictionary.hpp"
#include "core/util/one_line.hpp"

namespace gatehouse::app {
namespace {

struct NasTestOptions {
    std::string nas;
    std::string db;
    std::string key_file = "var/gatehouse.key";
    std::string config_file;
    uint16_t port = 0;   // 0: from --config, else 1812
    std::string server;  // HOST:PORT, overrides --port
    std::string source;
    int timeout_ms = 1000;
    int attempts = 2;
    int api_timeout_ms = 5000;
    bool allow_anonymous_dh = false;
};

// Where the RADIUS probe goes: --server, else this host's server (--port, else the config
// file's bind and auth_port, else 127.0.0.1:1812).
void radiusServer(const NasTestOptions& o, jobs::RadiusProbeOptions& out) {
    if (!o.server.empty()) {
        const size_t colon = o.server.rfind(':');
        unsigned port = 0;
        const char* end = o.server.data() + o.server.size();
        if (colon == std::string::npos || colon == 0 ||
            std::from_chars(o.server.data() + colon + 1, end, port).ptr != end || port == 0 ||
            port > 65535)
            fail("--server: expected HOST:PORT (IPv4), got '" + o.server + "'");
        out.server_host = o.server.substr(0, colon);
        out.server_port = static_cast<uint16_t>(port);
        return;
    }
    ServeConfig config;
    if (!o.config_file.empty()) {
        try {
            applyConfigFile(o.config_file, config);
        } catch (const std::exception& e) {
            fail(e.what());
        }
        if (config.bind != "0.0.0.0")
            out.server_host = config.bind;
    }
    out.server_port = o.port != 0 ? o.port : config.auth_port;
}

void printLine(std::string_view check, const jobs::ProbeResult& r) {
    fmt::print("{:<7}{:<5}{:>6} ms  {}\n", check, jobs::statusName(r.status), r.elapsed.count(),
               r.detail);
    std::fflush(stdout);
}

int run(const NasTestOptions& o) {
    if (o.db.empty())
        fail("db: set GATEHOUSE_DB or --db");
    if (o.timeout_ms < 1 || o.attempts < 1 || o.api_timeout_ms < 1)
        fail("--timeout-ms, --attempts and --api-timeout-ms must be positive");
    jobs::RadiusProbeOptions radius_options;
    radiusServer(o, radius_options);
    radius_options.source = o.source;
    radius_options.timeout_ms = o.timeout_ms;
    radius_options.attempts = o.attempts;

    std::optional<jobs::NasTarget> nas;
    try {
        pqxx::connection conn(o.db);
        nas = jobs::loadNasTarget(conn, o.nas);
    } catch (const std::exception& e) {
        fail("cannot read the NAS from PostgreSQL (set GATEHOUSE_DB or --db): " +
             oneLine(e.what()));
    }
    if (!nas)
        fail("no NAS named '" + o.nas + "' (gatehouse nas list)");
    fmt::print("nas {} {} ({}{})\n", nas->name, nas->ip, nas->type,
               nas->enabled ? "" : ", disabled");
    std::fflush(stdout);

    const auto& dict = radius::Dictionary::builtin();
    bool all_ok = true;
    auto report = [&all_ok](std::string_view check, const jobs::ProbeResult& r) {
        printLine(check, r);
        if (r.status == jobs::ProbeResult::kFail)
            all_ok = false;
    };

    report("radius", jobs::probeRadius(*nas, radius_options, dict));

    // The key is read only for a NAS with API credentials, and never created here: a fresh key
    // would open nothing.
    jobs::ApiCheckOptions api;
    api.timeout_ms = o.api_timeout_ms;
    api.tls.allow_anonymous_dh = o.allow_anonymous_dh;
    std::string key_error;
    if (nas->hasApi()) {
        struct stat st {};
        if (::stat(o.key_file.c_str(), &st) != 0) {
            key_error = "key file " + o.key_file + " does not exist (--key-file)";
        } else if (auto box = crypto::SecretBox::loadOrCreate(o.key_file); !box) {
            key_error = box.error();
        } else {
            jobs::openApiPassword(*box, *nas, key_error);
        }
    }
    if (!key_error.empty()) {
        jobs::ProbeResult r;
        r.detail = key_error;
        report("api", r);
    } else {
        report("api", jobs::probeApi(*nas, api));
    }

    jobs::CoaProbeOptions coa;
    coa.timeout_ms = o.timeout_ms;
    coa.attempts = o.attempts;
    coa.source = o.source;
    report("coa", jobs::probeCoa(*nas, coa, dict));
    return all_ok ? 0 : 1;
}

}  // namespace

void addNasTestCommand(CLI::App& app) {
    // `nas` itself is registered by addStoreCommands (store_commands.cpp).
    CLI::App* nas = app.get_subcommand("nas");
    auto o = std::make_shared<NasTestOptions>();
    auto* test = nas->add_subcommand(
        "test", "Check a NAS: RADIUS to this server, RouterOS API login, CoA port (docs/jobs.md)");
    test->add_option("NAME", o->nas, "the NAS name (or its IP address)")->required();
    test->add_option("--db", o->db, "libpq connection string (default: $GATEHOUSE_DB)")
        ->envname("GATEHOUSE_DB");
    test->add_option("--key-file", o->key_file,
                     "key the API passwords are sealed with (default: $GATEHOUSE_KEY_FILE or "
                     "var/gatehouse.key)")
        ->envname("GATEHOUSE_KEY_FILE");
    test->add_option("--config", o->config_file,
                     "the server's config file: its bind and auth_port are where the RADIUS "
                     "check goes");
    test->add_option("--port", o->port, "this server's auth port (default: --config, else 1812)");
    test->add_option("--server", o->server,
                     "HOST:PORT of the RADIUS server to check instead of this host's");
    test->add_option("--source", o->source,
                     "local IPv4 address to send the RADIUS and CoA probes from (default: the "
                     "NAS's own address when it is on this host, for RADIUS)");
    test->add_option("--timeout-ms", o->timeout_ms,
                     "RADIUS and CoA: wait per attempt (default 1000; CoA doubles it)");
    test->add_option("--attempts", o->attempts, "RADIUS and CoA: sends at most (default 2)");
    test->add_option("--api-timeout-ms", o->api_timeout_ms,
                     "API: connect + login, then each command (default 5000)");
    test->add_flag("--allow-anonymous-dh", o->allow_anonymous_dh,
                   "API over TLS: accept api-ssl without a certificate (anonymous DH)");
    test->callback([o] { throw CLI::RuntimeError(run(*o)); });
}

}  // namespace gatehouse::app
