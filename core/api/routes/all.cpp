#include "core/api/routes/all.hpp"

namespace gatehouse::api {

Router buildRouter(const ApiDeps& deps) {
    Router router;
    // Order matters only where patterns could collide (http.hpp): one group per line.
    addHealthRoutes(router, deps.health);
    addAuthRoutes(router, deps.auth);
    addNasRoutes(router, deps.nas, deps.auth);  // "/nas/{id}/test" before "/nas/{id}" inside
    addServiceRoutes(router, deps.services, deps.auth);
    addSubscriberRoutes(router, deps.subscribers, deps.auth);  // "/bulk" before "/{id}" inside
    addSessionRoutes(router, deps.sessions, deps.auth);
    return router;
}

}  // namespace gatehouse::api
