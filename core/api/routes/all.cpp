#include "core/api/routes/all.hpp"

namespace gatehouse::api {

Router buildRouter(const ApiDeps& deps) {
    Router router;
    // Order matters only where patterns could collide (http.hpp): one group per line.
    addHealthRoutes(router, deps.health);
    addAuthRoutes(router, deps.auth);
    return router;
}

}  // namespace gatehouse::api
