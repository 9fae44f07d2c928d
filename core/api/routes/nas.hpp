#pragma once
// /api/v1/nas: the NAS page of the panel (docs/api.md "NAS"). List and read with health and CoA
// counts, create, change and delete through the store the CLI uses, and "Test connection"
// (the checks of `gatehouse nas test`, core/jobs/nas_probe.hpp). The RADIUS secret and the
// RouterOS API password are written, never read back: answers carry has_secret and
// has_api_password.
#include <cstdint>
#include <memory>
#include <string>

#include "core/api/authenticator.hpp"
#include "core/api/http.hpp"
#include "core/api/routes/auth.hpp"
#include "core/crypto/secret_box.hpp"
#include "core/store/pg_pool.hpp"

namespace gatehouse::api {

/// Where and how long "Test connection" probes. Short: the answer holds an HTTP request.
struct NasTestSettings {
    std::string radius_host = "127.0.0.1";  // this server's auth address
    uint16_t radius_port = 1812;
    int timeout_ms = 500;  // RADIUS and CoA, per attempt
    int attempts = 2;
    int api_timeout_ms = 2000;
    bool allow_anonymous_dh = false;  // RouterOS api-ssl without a certificate
};

/// Every member may be empty (the OpenAPI check builds the router without services): the
/// routes are listed and answer 503. db and auth left unset are taken from the auth group.
struct NasDeps {
    store::PgPool* db = nullptr;
    std::shared_ptr<Authenticator> auth;  // makeAuthenticator(AuthDeps)
    /// Seals and opens API passwords (the key file's); null: a NAS with an API password can
    /// be neither created nor tested.
    std::shared_ptr<const crypto::SecretBox> box;
    NasTestSettings test;
};

void addNasRoutes(Router& router, NasDeps deps, const AuthDeps& auth_deps = {});

}  // namespace gatehouse::api
