#include "core/api/routes/all.hpp"

namespace gatehouse::api {

Router buildRouter(const ApiDeps& deps) {
    Router router;
    // Every group authenticates through the same Authenticator (its admin cache included).
    AuthDeps auth = deps.auth;
    auth.shared_authenticator = makeAuthenticator(auth);
    // Order matters only where patterns could collide (http.hpp): one group per line.
    addHealthRoutes(router, deps.health);
    addAuthRoutes(router, auth);
    addAuditRoutes(router, auth);
    addNasRoutes(router, deps.nas, auth);  // "/nas/{id}/test" before "/nas/{id}" inside
    addServiceRoutes(router, deps.services, auth);
    addSubscriberRoutes(router, deps.subscribers, auth);  // "/bulk" before "/{id}" inside
    addSessionRoutes(router, deps.sessions, auth);
    addPolicyAndResellerRoutes(router, deps.policies, auth);  // /policies, /resellers
    addPoolLogDashboardSettingRoutes(router, auth);  // /pools, /logs, /dashboard, /settings
    return router;
}

}  // namespace gatehouse::api
