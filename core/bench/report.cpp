#include "core/bench/report.hpp"

#include <fmt/format.h>

namespace gatehouse::bench {

void Counters::merge(const Counters& o) {
    sent += o.sent;
    retransmits += o.retransmits;
    send_errors += o.send_errors;
    accepted += o.accepted;
    rejected += o.rejected;
    challenged += o.challenged;
    timed_out += o.timed_out;
    without_message_authenticator += o.without_message_authenticator;
    malformed += o.malformed;
    bad_authenticator += o.bad_authenticator;
    bad_message_authenticator += o.bad_message_authenticator;
    missing_message_authenticator += o.missing_message_authenticator;
    unexpected_code += o.unexpected_code;
    unmatched += o.unmatched;
    late += o.late;
    duplicate += o.duplicate;
    recv_errors += o.recv_errors;
    acct_starts += o.acct_starts;
    acct_starts_answered += o.acct_starts_answered;
    accepted_with_framed_ip += o.accepted_with_framed_ip;
}

namespace {

std::string ms(uint64_t ns) {
    return fmt::format("{:.3f}", static_cast<double>(ns) / 1e6);
}

}  // namespace

std::string formatText(const Report& r) {
    const Counters& c = r.counters;
    const Options& o = r.options;
    std::string out;
    out +=
        fmt::format("gatehouse bench {}: {}:{}, {} thread(s), {} source port(s), window {}\n",
                    modeName(o.mode), o.server, effectivePort(o), o.threads, o.sockets, o.window);
    out += fmt::format(
        "sent {}  retransmits {}  accepted {}  rejected {}  challenged {}  timed out {}\n", c.sent,
        c.retransmits, c.accepted, c.rejected, c.challenged, c.timed_out);
    out += fmt::format(
        "errors {}: bad authenticator {}  bad message-authenticator {}  missing "
        "message-authenticator {}  malformed {}  unexpected code {}  unmatched {}  late {}  "
        "duplicate {}  send errors {}  receive errors {}\n",
        c.errors(), c.bad_authenticator, c.bad_message_authenticator,
        c.missing_message_authenticator, c.malformed, c.unexpected_code, c.unmatched, c.late,
        c.duplicate, c.send_errors, c.recv_errors);
    if (c.without_message_authenticator != 0) {
        out += fmt::format("answers without message-authenticator: {}\n",
                           c.without_message_authenticator);
    }
    if (o.mode == Mode::kAcct) {
        out += fmt::format("sessions: starts sent {}  starts answered {}\n", c.acct_starts,
                           c.acct_starts_answered);
    }
    if (c.accepted_with_framed_ip != 0) {
        out += fmt::format("accepts with Framed-IP-Address: {} of {}\n", c.accepted_with_framed_ip,
                           c.accepted);
    }
    out += fmt::format("elapsed {:.3f} s  rate {:.0f} answers/s\n", r.elapsed_s, r.rate());
    const LatencyHistogram& h = r.latency;
    out += fmt::format("latency ms: min {}  p50 {}  p99 {}  p99.9 {}  max {}  mean {:.3f}\n",
                       ms(h.min()), ms(h.percentile(50)), ms(h.percentile(99)),
                       ms(h.percentile(99.9)), ms(h.max()), h.mean() / 1e6);
    return out;
}

std::string formatJson(const Report& r) {
    const Counters& c = r.counters;
    const Options& o = r.options;
    const LatencyHistogram& h = r.latency;
    // Every string here is an IPv4 address or a fixed mode name: nothing needs escaping.
    return fmt::format(
        "{{\"mode\":\"{}\",\"server\":\"{}\",\"port\":{},\"threads\":{},\"sockets\":{},"
        "\"window\":{},\"users\":{},\"elapsed_s\":{:.6f},\"rate\":{:.1f},"
        "\"sent\":{},\"retransmits\":{},\"accepted\":{},\"rejected\":{},\"challenged\":{},"
        "\"timed_out\":{},\"without_message_authenticator\":{},\"errors\":{},"
        "\"bad_authenticator\":{},\"bad_message_authenticator\":{},"
        "\"missing_message_authenticator\":{},\"malformed\":{},\"unexpected_code\":{},"
        "\"unmatched\":{},\"late\":{},\"duplicate\":{},\"send_errors\":{},\"recv_errors\":{},"
        "\"acct_starts\":{},\"acct_starts_answered\":{},\"accepted_with_framed_ip\":{},"
        "\"latency_ns\":{{\"count\":{},\"min\":{},\"p50\":{},\"p90\":{},\"p95\":{},"
        "\"p99\":{},\"p999\":{},\"max\":{},\"mean\":{:.0f}}}}}\n",
        modeName(o.mode), o.server, effectivePort(o), o.threads, o.sockets, o.window, o.users,
        r.elapsed_s, r.rate(), c.sent, c.retransmits, c.accepted, c.rejected, c.challenged,
        c.timed_out, c.without_message_authenticator, c.errors(), c.bad_authenticator,
        c.bad_message_authenticator, c.missing_message_authenticator, c.malformed,
        c.unexpected_code, c.unmatched, c.late, c.duplicate, c.send_errors, c.recv_errors,
        c.acct_starts, c.acct_starts_answered, c.accepted_with_framed_ip, h.count(), h.min(),
        h.percentile(50), h.percentile(90), h.percentile(95), h.percentile(99), h.percentile(99.9),
        h.max(), h.mean());
}

}  // namespace gatehouse::bench
