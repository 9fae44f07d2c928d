#pragma once
// `gatehouse serve --roles api` (docs/api.md): the admin API and the built panel on Pistache,
// beside the other roles or alone.
#include <memory>

namespace gatehouse::api {
class LivePolicies;
}  // namespace gatehouse::api

namespace gatehouse::app {

struct ServeConfig;

class ApiRole {
  public:
    virtual ~ApiRole() = default;
    /// Stops listening and joins the API threads; safe to call twice.
    virtual void stop() = 0;
};

/// Starts the server on config.api_bind:api_port with config.api_threads and web_dir, and
/// prints "gatehouse.api.ready bind=... port=... web_dir=..." on stdout. nullptr with the
/// reason on stderr (no database; the port taken). `live_policies`: the radius role's policy
/// store and snapshot when that role runs in this process (attached once it has loaded), so
/// the policy routes reload it directly; null otherwise.
std::unique_ptr<ApiRole> startApiRole(const ServeConfig& config,
                                      std::shared_ptr<api::LivePolicies> live_policies = nullptr);

}  // namespace gatehouse::app
