#pragma once
// What a run counted, per thread and merged, and how it is printed (text for people, JSON
// for scripts/bench).
#include <cstdint>
#include <string>

#include "core/bench/histogram.hpp"
#include "core/bench/options.hpp"

namespace gatehouse::bench {

struct Counters {
    uint64_t sent = 0;         // first transmissions
    uint64_t retransmits = 0;  // same Identifier and authenticator (RFC 5080 2.2.1)
    uint64_t send_errors = 0;  // datagrams the kernel refused
    uint64_t accepted = 0;     // Access-Accept, or Accounting-Response in acct mode
    uint64_t rejected = 0;
    uint64_t challenged = 0;
    uint64_t timed_out = 0;                      // no valid answer after every retransmission
    uint64_t without_message_authenticator = 0;  // answers without MA (not an error)
    // Errors: responses discarded. None of them completes a request.
    uint64_t malformed = 0;
    uint64_t bad_authenticator = 0;
    uint64_t bad_message_authenticator = 0;
    uint64_t missing_message_authenticator = 0;
    uint64_t unexpected_code = 0;
    uint64_t unmatched = 0;  // no request was ever sent with that Identifier on that port
    uint64_t late = 0;       // valid answer to a request already counted as timed out
    uint64_t duplicate = 0;  // valid answer to a request already answered
    uint64_t recv_errors = 0;
    // acct: sessions begun (Starts sent) and Starts answered, so a benchmark can check that
    // the server stored every session it acknowledged (scripts/bench acct counts radacct).
    uint64_t acct_starts = 0;
    uint64_t acct_starts_answered = 0;
    // Access-Accepts carrying a Framed-IP-Address other than 0.0.0.0 (a pool claim or a
    // checked static address), so scripts/bench pool can show every Accept got one: the
    // server builds a held Accept with 0.0.0.0 and writes the claimed address in afterwards.
    uint64_t accepted_with_framed_ip = 0;

    void merge(const Counters& o);
    uint64_t answered() const { return accepted + rejected + challenged; }
    uint64_t errors() const {
        return malformed + bad_authenticator + bad_message_authenticator +
               missing_message_authenticator + unexpected_code + unmatched + late + duplicate;
    }
};

struct Report {
    Options options;
    Counters counters;
    LatencyHistogram latency;  // nanoseconds, first transmission to valid answer
    double elapsed_s = 0;      // first send to the last request completed or timed out

    double rate() const { return elapsed_s > 0 ? counters.answered() / elapsed_s : 0; }
};

std::string formatText(const Report& r);
std::string formatJson(const Report& r);

}  // namespace gatehouse::bench
