#pragma once
// GET /api/v1/health: no authentication, for load balancers, monitoring and the panel's
// "is the server there" check (docs/api.md, docs/api/openapi.yaml).
#include <functional>
#include <string>

#include "core/api/http.hpp"

namespace gatehouse::api {

/// Every member may be empty, so the route (and the OpenAPI check) runs without a database.
struct HealthDeps {
    std::string version;             // "" is reported as "unknown"
    std::function<bool()> database;  // true: PostgreSQL answered; empty: "down"
    std::function<bool()> redis;     // true: Redis answered; empty: "off" (not configured)
};

void addHealthRoutes(Router& router, HealthDeps deps);

}  // namespace gatehouse::api
