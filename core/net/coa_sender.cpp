#include "core/net/coa_sender.hpp"

#include "core/store/coa_verify_repository.hpp"

#include <thread>
#include <vector>

namespace gatehouse::net {

CoaSender::CoaSender(store::PgPool& pool, const radius::Dictionary& dict, CoaSenderOptions options)
    : pool_(pool), client_(dict, options.client), options_(std::move(options)) {}

Expected<CoaOutcome, store::StoreError> CoaSender::process(const store::ClaimedCoa& row,
                                                           CoaPassStats& stats) {
    std::vector<CoaAttribute> attrs;
    attrs.reserve(row.attributes.size());
    for (const auto& [name, value] : row.attributes)
        attrs.push_back(CoaAttribute{name, value});
    CoaTarget target{row.nas_ip, static_cast<uint16_t>(row.coa_port), row.secret};
    const CoaKind kind = row.kind == "coa" ? CoaKind::kCoa : CoaKind::kDisconnect;

    // No database connection is held while waiting on the NAS.
    CoaOutcome outcome = client_.send(target, kind, attrs);

    std::optional<uint32_t> cause;
    if (outcome.error_cause != 0)
        cause = outcome.error_cause;

    // A Disconnect the NAS did not confirm may still be carried out another way (MikroTik:
    // /ppp/active/remove). A CoA is not: removing the session is not what was asked.
    CoaFallbackResult fallback;
    if (options_.fallback && kind == CoaKind::kDisconnect &&
        (outcome.result == CoaResult::kTimeout || outcome.result == CoaResult::kNak))
        fallback = options_.fallback(row, outcome);

    auto lease = pool_.acquire();
    Expected<bool, store::StoreError> recorded = false;
    if (fallback.kind == CoaFallbackResult::kEnded) {
        recorded =
            store::recordCoaDoneViaApi(*lease, row, cause, describe(outcome), fallback.detail);
        if (!recorded)
            return unexpected(recorded.error());
        if (*recorded) {
            ++stats.acked;
            ++stats.via_api;
        } else {
            ++stats.lost;
        }
        return outcome;
    }
    switch (outcome.result) {
        case CoaResult::kAck:
            recorded = store::recordCoaAck(*lease, row, cause);
            if (recorded && *recorded)
                ++stats.acked;
            break;
        case CoaResult::kNak:
            recorded = store::recordCoaNak(*lease, row, cause, describe(outcome));
            if (recorded && *recorded)
                ++stats.naked;
            break;
        case CoaResult::kTimeout:
        case CoaResult::kSendError:
            recorded = store::recordCoaRetry(*lease, row, describe(outcome), options_.outbox);
            if (recorded && *recorded)
                ++stats.retried;
            break;
        case CoaResult::kBuildError:
            recorded = store::recordCoaFailure(*lease, row, describe(outcome));
            if (recorded && *recorded)
                ++stats.failed;
            break;
    }
    if (!recorded)
        return unexpected(recorded.error());
    if (!*recorded)
        ++stats.lost;
    else if (fallback.kind == CoaFallbackResult::kFailed) {
        auto noted = store::noteCoaFallback(*lease, row.id, fallback.detail);
        if (!noted)
            return unexpected(noted.error());
    }
    return outcome;
}

size_t CoaSender::claimLimit() const {
    // Rows are sent one after another, so the last row of a pass is sent up to
    // (batch - 1) * maxSendDuration after the claim: never claim more than the lease covers,
    // or another sender could take over a row this one is about to send.
    auto per_row = std::max(maxSendDuration(options_.client.retry), std::chrono::milliseconds(1));
    if (options_.fallback)
        per_row += options_.fallback_max;
    const auto lease = std::chrono::duration_cast<std::chrono::milliseconds>(options_.outbox.lease);
    const size_t fits = static_cast<size_t>(lease / per_row);
    return std::max<size_t>(1, std::min(options_.batch, fits));
}

Expected<CoaPassStats, store::StoreError> CoaSender::runOnce() {
    CoaPassStats stats;
    std::vector<store::ClaimedCoa> rows;
    {
        auto lease = pool_.acquire();
        auto claimed = store::claimDueCoa(*lease, claimLimit(), options_.outbox);
        if (!claimed)
            return unexpected(claimed.error());
        rows = std::move(*claimed);
    }
    stats.claimed = rows.size();
    for (const auto& row : rows) {
        // A row whose outcome cannot be recorded stays 'sending' and is claimed again when its
        // lease runs out: sent twice at worst, which the NAS answers idempotently.
        auto r = process(row, stats);
        if (!r)
            return unexpected(r.error());
    }
    return stats;
}

Expected<std::optional<CoaOutcome>, store::StoreError> CoaSender::sendNow(int64_t id) {
    std::optional<store::ClaimedCoa> row;
    {
        auto lease = pool_.acquire();
        auto claimed = store::claimCoaById(*lease, id, options_.outbox);
        if (!claimed)
            return unexpected(claimed.error());
        row = std::move(*claimed);
    }
    if (!row)
        return std::optional<CoaOutcome>{};
    CoaPassStats stats;
    auto r = process(*row, stats);
    if (!r)
        return unexpected(r.error());
    return std::optional<CoaOutcome>{std::move(*r)};
}

void CoaSender::loop(const std::atomic<bool>& stop) {
    while (!stop.load()) {
        bool idle = true;
        try {
            auto r = runOnce();
            idle = !r || r->claimed == 0;
        } catch (const std::exception&) {
            // PgPool::acquire throws when PostgreSQL is unreachable: wait and try again.
        }
        if (!idle)
            continue;
        const auto until = std::chrono::steady_clock::now() + options_.idle_wait;
        while (!stop.load() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace gatehouse::net
