// `gatehouse session disconnect|coa`: end or change live sessions through the CoA outbox
// (docs/coa.md). The open sessions come from radacct; each becomes a coa_requests row first,
// then is sent at once by the same sender the jobs role uses, and the outcome is printed.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/app/cli_errors.hpp"
#include "core/app/commands.hpp"
#include "core/net/coa_client.hpp"
#include "core/net/coa_sender.hpp"
#include "core/radius/dictionary.hpp"
#include "core/store/coa_outbox_repository.hpp"
#include "core/store/open_sessions.hpp"
#include "core/store/pg_pool.hpp"

namespace gatehouse::app {
namespace {

struct SessionOptions {
    std::string db;
    std::string user;
    std::string session;
    std::string nas;
    std::vector<std::string> attrs;
    std::string reason = "operator";
    int timeout_ms = 1000;
    int attempts = 3;
    int lifetime_s = 300;
    std::string source;
};

// "Name=Value" (spaces around '=' allowed, as radclient writes "Name = Value").
std::pair<std::string, std::string> parseAttr(const std::string& text) {
    auto eq = text.find('=');
    if (eq == std::string::npos)
        fail("--attr: expected Name=Value, got '" + text + "'");
    auto trim = [](std::string s) {
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
            s.pop_back();
        size_t i = 0;
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t'))
            ++i;
        return s.substr(i);
    };
    auto name = trim(text.substr(0, eq));
    if (name.empty())
        fail("--attr: missing attribute name in '" + text + "'");
    return {name, trim(text.substr(eq + 1))};
}

int run(const SessionOptions& o, net::CoaKind kind) {
    if (o.db.empty())
        fail("db: set GATEHOUSE_DB or --db");
    if (o.user.empty() && o.session.empty())
        fail("give USER or --session ACCT-SESSION-ID");
    if (o.timeout_ms < 1 || o.attempts < 1 || o.lifetime_s < 1)
        fail("--timeout-ms, --attempts and --lifetime must be positive");
    store::CoaAttributeList extra;
    for (const auto& a : o.attrs)
        extra.push_back(parseAttr(a));
    if (kind == net::CoaKind::kCoa && extra.empty())
        fail("--attr: a CoA needs at least one attribute to change");

    const auto& dict = radius::Dictionary::builtin();
    // Typos are caught here, before anything is queued: a row that cannot be encoded would only
    // end as 'failed'.
    {
        std::vector<net::CoaAttribute> check;
        for (const auto& [n, v] : extra)
            check.push_back({n, v});
        auto built = net::buildCoaRequest(kind, 0, check, crypto::SharedSecret("x"), dict, 0);
        if (!built)
            fail("--attr: " + built.error());
    }

    store::PgPool pool(o.db, 1);
    net::CoaSenderOptions so;
    so.client.retry.first_timeout = std::chrono::milliseconds(o.timeout_ms);
    so.client.retry.attempts = o.attempts;
    so.client.retry.max_timeout = std::chrono::milliseconds(o.timeout_ms) * 4;
    so.client.source_address = o.source;
    net::CoaSender sender(pool, dict, so);

    std::vector<store::OpenSession> sessions;
    {
        auto lease = pool.acquire();
        sessions = store::findOpenSessions(
            *lease, store::OpenSessionFilter{o.user, o.session, o.nas, std::nullopt});
    }
    if (sessions.empty()) {
        std::cerr << "error: no open session"
                  << (o.user.empty() ? "" : " for user '" + o.user + "'")
                  << (o.session.empty() ? "" : " with Acct-Session-Id '" + o.session + "'")
                  << (o.nas.empty() ? "" : " on NAS '" + o.nas + "'") << "\n";
        return 1;
    }

    int failures = 0;
    for (const auto& s : sessions) {
        const std::string what =
            fmt::format("{} {} session {}", net::coaKindName(kind), s.username, s.acct_session_id);
        if (!s.nas_id) {
            fmt::print("{}: NAS {} is not registered: not sent\n", what, s.nas_ip);
            ++failures;
            continue;
        }
        store::CoaEnqueue in;
        in.nas_id = *s.nas_id;
        in.subscriber_id = s.subscriber_id;
        in.username = s.username;
        in.acct_session_id = s.acct_session_id;
        in.kind = std::string(net::coaKindName(kind));
        in.attributes = store::identifySession(s);
        for (const auto& a : extra)
            in.attributes.push_back(a);
        in.reason = o.reason;
        in.lifetime = std::chrono::seconds(o.lifetime_s);
        int64_t id = 0;
        {
            auto lease = pool.acquire();
            auto queued = store::enqueueCoa(*lease, in);
            if (!queued)
                fail(store::describe(queued.error()));
            id = *queued;
        }
        auto sent = sender.sendNow(id);
        if (!sent)
            fail(store::describe(sent.error()));
        if (!*sent) {
            fmt::print("{} on {}: request {} was taken by another sender\n", what, s.nas_name, id);
            ++failures;
            continue;
        }
        const net::CoaOutcome& out = **sent;
        std::string tail;
        if (out.result == net::CoaResult::kTimeout || out.result == net::CoaResult::kSendError)
            tail =
                fmt::format(" (request {} stays queued for the jobs role until its deadline)", id);
        fmt::print("{} on {}: {}{}\n", what, s.nas_name, net::describe(out), tail);
        if (out.result != net::CoaResult::kAck)
            ++failures;
    }
    return failures == 0 ? 0 : 1;
}

void addOptions(CLI::App* cmd, SessionOptions& o, bool with_attrs) {
    cmd->add_option("user", o.user, "the subscriber's User-Name");
    cmd->add_option("--session", o.session, "Acct-Session-Id of the session");
    cmd->add_option("--nas", o.nas, "only sessions on this NAS (name)");
    if (with_attrs)
        cmd->add_option("--attr", o.attrs, "attribute to change, 'Name=Value' (repeatable)")
            ->required();
    cmd->add_option("--reason", o.reason, "recorded with the request (default: operator)");
    cmd->add_option("--timeout-ms", o.timeout_ms, "first answer timeout, doubled per retry")
        ->default_val(1000);
    cmd->add_option("--attempts", o.attempts, "sends per request, the first included")
        ->default_val(3);
    cmd->add_option("--lifetime", o.lifetime_s,
                    "seconds the jobs role keeps retrying an unanswered request")
        ->default_val(300);
    cmd->add_option("--source", o.source, "local IPv4 address to send from");
    cmd->add_option("--db", o.db, "libpq connection string (default: $GATEHOUSE_DB)")
        ->envname("GATEHOUSE_DB");
}

void guardedRun(const SessionOptions& o, net::CoaKind kind) {
    int rc = 1;
    guarded([&] { rc = run(o, kind); });
    if (rc != 0)
        throw CLI::RuntimeError(rc);
}

}  // namespace

void addSessionCommand(CLI::App& app) {
    auto* session =
        app.add_subcommand("session", "Live sessions: Disconnect and CoA (RFC 5176) to the NAS");
    session->require_subcommand(1);

    auto d = std::make_shared<SessionOptions>();
    auto* disconnect = session->add_subcommand(
        "disconnect", "Send a Disconnect-Request for the open session(s); exit 0 when all ACK");
    addOptions(disconnect, *d, false);
    disconnect->callback([d] { guardedRun(*d, net::CoaKind::kDisconnect); });

    auto c = std::make_shared<SessionOptions>();
    auto* coa = session->add_subcommand(
        "coa", "Send a CoA-Request changing the open session(s); exit 0 when all ACK");
    addOptions(coa, *c, true);
    coa->callback([c] { guardedRun(*c, net::CoaKind::kCoa); });
}

}  // namespace gatehouse::app
