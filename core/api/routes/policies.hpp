#pragma once
// /api/v1/policies: the Lua policy files on disk, reload, and a dry-run evaluation (docs/api.md
// "Policies and resellers"). Reload calls the radius role's PolicyStore directly when that role
// runs in this process (core/policy/reloader.hpp expects it); otherwise the API can only check
// the files: radius nodes reload themselves on file change or SIGHUP. Evaluation always builds
// a fresh sandboxed VM from the files on disk, as `gatehouse policy eval` does, so it never
// touches the VMs serving subscribers.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/api/authenticator.hpp"
#include "core/api/http.hpp"
#include "core/api/routes/auth.hpp"
#include "core/crypto/secret_box.hpp"
#include "core/policy/bundle.hpp"
#include "core/policy/store.hpp"
#include "core/store/pg_pool.hpp"
#include "core/store/snapshot.hpp"

namespace gatehouse::api {

/// The radius role's policy store and subscriber snapshot, shared with the API in the same
/// process. `gatehouse serve` attaches them once the startup policy loaded and detaches them
/// before they are destroyed; until then (or with the radius role elsewhere) the API sees
/// nothing attached. Reloads through here are remembered for GET /policies.
class LivePolicies {
  public:
    void attach(policy::PolicyStore* store, const store::SnapshotHolder* snapshots);
    /// Waits for a reload running through here to finish.
    void detach();
    /// A reload the radius role ran itself (startup, SIGHUP, file change).
    void remember(const policy::ReloadReport& report);
    /// store.reload(trigger), remembered; nullopt when nothing is attached.
    std::optional<policy::ReloadReport> reload(std::string_view trigger);

    struct Status {
        uint64_t generation = 0;
        std::string fingerprint;           // of the bundle serving ("" before the first)
        std::optional<int64_t> loaded_at;  // unix seconds of the last reload that published
        std::optional<policy::ReloadReport> last;
        int64_t last_at = 0;  // unix seconds of `last`
    };
    /// nullopt when nothing is attached.
    std::optional<Status> status() const;
    /// The radius role's current snapshot, or null.
    std::shared_ptr<const store::Snapshot> snapshot() const;

  private:
    void rememberLocked(const policy::ReloadReport& report);

    mutable std::mutex mu_;  // held across a reload, so detach() waits for it
    policy::PolicyStore* store_ = nullptr;
    const store::SnapshotHolder* snapshots_ = nullptr;
    std::optional<int64_t> loaded_at_;
    std::optional<policy::ReloadReport> last_;
    int64_t last_at_ = 0;
};

/// Every member may be empty (the OpenAPI check builds the router without services): the
/// routes are listed and answer 503. db and auth left unset are taken from the auth group.
struct PolicyDeps {
    store::PgPool* db = nullptr;
    std::shared_ptr<Authenticator> auth;
    std::string directory = "policies";  // policy_dir
    policy::EngineConfig engine;         // max_instructions, entry
    /// Null or detached: the radius role does not run in this process.
    std::shared_ptr<LivePolicies> live;
    /// Opens subscriber rows when eval loads them itself (no live snapshot); the key file's.
    std::shared_ptr<const crypto::SecretBox> box;
};

void addPolicyRoutes(Router& router, PolicyDeps deps, const AuthDeps& auth_deps = {});

/// Both groups of task HB, for all.cpp: the policy routes, then /api/v1/resellers
/// (core/api/routes/resellers.hpp).
void addPolicyAndResellerRoutes(Router& router, const PolicyDeps& deps, const AuthDeps& auth_deps);

}  // namespace gatehouse::api
