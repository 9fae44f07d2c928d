#pragma once
// The retry both address claims share (claimIp, claimStaticIp): each is one transaction under
// the subscriber's claim lock, so a unique violation (a sync adopting an address for the same
// subscriber meanwhile) or a deadlock is a rare race with another claimer, and running the
// transaction again settles it.
#include <string>

#include <pqxx/except>

#include "core/store/ipam_repository.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::store {

/// Runs `once` (returns Expected<T, ClaimError>) up to three times while it loses such a race.
/// Any other exception, or a third race, becomes `database(message)` (a ClaimError of kind
/// kDatabase; libpq's message without its trailing newlines).
template <class Once, class Database>
auto withClaimRetries(Once once, Database database) -> decltype(once()) {
    for (int attempt = 0;; ++attempt) {
        try {
            return once();
        } catch (const pqxx::unique_violation& e) {
            if (attempt >= 2)
                return unexpected(database(std::string(e.what())));
        } catch (const pqxx::deadlock_detected& e) {
            if (attempt >= 2)
                return unexpected(database(std::string(e.what())));
        } catch (const std::exception& e) {
            std::string msg = e.what();
            while (!msg.empty() && msg.back() == '\n')
                msg.pop_back();
            return unexpected(database(std::move(msg)));
        }
    }
}

}  // namespace gatehouse::store
