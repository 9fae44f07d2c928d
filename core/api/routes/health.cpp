#include "core/api/routes/health.hpp"

#include <exception>

namespace gatehouse::api {

namespace {

// A probe that throws is a probe that failed: the health route itself never answers 500.
bool safely(const std::function<bool()>& probe) {
    try {
        return probe();
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

void addHealthRoutes(Router& router, HealthDeps deps) {
    router.add("GET", "/api/v1/health", "Liveness, version and the state of PostgreSQL and Redis",
               [deps = std::move(deps)](const HttpRequest&) {
                   // "status" is the process: it answers. The dependencies are reported, not
                   // folded into the status code, so a balancer does not drop every api node
                   // at once when PostgreSQL restarts.
                   const bool db = deps.database && safely(deps.database);
                   const char* redis = !deps.redis ? "off" : safely(deps.redis) ? "ok" : "down";
                   return HttpResponse::json(
                       200, {{"status", "ok"},
                             {"version", deps.version.empty() ? "unknown" : deps.version},
                             {"database", db ? "ok" : "down"},
                             {"redis", redis}});
               });
}

}  // namespace gatehouse::api
