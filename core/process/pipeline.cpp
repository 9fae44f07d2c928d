#include "core/process/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/radius/authenticator.hpp"
#include "core/store/log_writer.hpp"

namespace gatehouse::process {

Now nowFromClocks() {
    using namespace std::chrono;
    const int64_t wall_ms =
        duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
    return Now{
        duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count(),
        wall_ms / 1000,
        wall_ms,
    };
}

void logEvent(WorkerEnv& env, Now now, std::string_view event, std::string_view user,
              uint32_t nas_ip, std::string_view reason, std::string detail) {
    if (env.logs == nullptr)
        return;
    store::LogEvent e;
    e.at_ms = now.unix_ms;
    e.event = event;
    e.username = user.substr(0, 253);
    e.nas_ip = nas_ip;
    e.reason = reason;
    e.detail = std::move(detail);
    env.logs->push(std::move(e));  // false: dropped and counted by the writer
}

void echoProxyState(const radius::Packet& request, radius::PacketWriter& writer) {
    for (const radius::AttrRef& a : request.attributes()) {
        if (a.vendor == 0 && a.type == radius::attr::kProxyState)
            writer.add(radius::attr::kProxyState, request.value(a));
    }
}

const store::NasEntry* admit(const Datagram& in, const store::Snapshot& snapshot, Now now,
                             WorkerEnv& env, radius::Packet& packet) {
    const store::NasEntry* nas = snapshot.nasByIp(in.src_ipv4);
    if (!nas || !nas->enabled || !nas->secret) {
        env.unknown_nas.dropped(in.src_ipv4, now.steady_ms);
        env.counters.drop(DropKind::kUnknownNas);
        return nullptr;
    }
    if (auto decoded = radius::decodeInto(in.bytes, env.dict, packet); !decoded) {
        env.counters.decodeError(decoded.error().kind);
        return nullptr;
    }
    return nas;
}

std::optional<Outcome> checkDuplicate(DuplicateCache& cache, const Datagram& in,
                                      const radius::Packet& packet, Now now, Counters& counters,
                                      ReplyBuffer out, DuplicateCache::Lookup& seen) {
    DuplicateCache::Key key{in.src_ipv4, in.src_port, packet.id(), {}};
    std::memcpy(key.authenticator.data(), packet.authenticator(), radius::kAuthenticatorLength);
    seen = cache.check(key, now.steady_ms);
    if (seen.state == DuplicateCache::State::kInProgress) {
        counters.drop(DropKind::kDuplicateInProgress);
        return Outcome::drop();
    }
    if (seen.state == DuplicateCache::State::kAnswered) {
        counters.duplicateResent();
        std::copy(seen.response.begin(), seen.response.end(), out.begin());
        return Outcome{true, ByteSpan(out.data(), seen.response.size())};
    }
    return std::nullopt;
}

Outcome answerStatusServer(const radius::Packet& request, const store::NasEntry& nas, Port port,
                           Counters& counters, ReplyBuffer out) {
    // RFC 5997 3: a Status-Server without a valid Message-Authenticator is silently discarded.
    switch (radius::checkRequestMessageAuthenticator(request, *nas.secret)) {
        case radius::MaCheck::kAbsent:
            counters.drop(DropKind::kMissingMessageAuthenticator);
            return Outcome::drop();
        case radius::MaCheck::kInvalid:
            counters.drop(DropKind::kBadMessageAuthenticator);
            return Outcome::drop();
        case radius::MaCheck::kValid:
            break;
    }
    radius::PacketWriter writer(out);
    writer.begin(
        port == Port::kAuth ? radius::Code::kAccessAccept : radius::Code::kAccountingResponse,
        request.id());
    writer.addMessageAuthenticator();  // BlastRADIUS: first, in every response we make
    echoProxyState(request, writer);
    auto done = writer.finishResponse(*nas.secret, request.authenticator());
    if (!done) {
        counters.drop(DropKind::kEncodeFailed);
        return Outcome::drop();
    }
    counters.statusAnswered();
    return Outcome{true, *done};
}

}  // namespace gatehouse::process
