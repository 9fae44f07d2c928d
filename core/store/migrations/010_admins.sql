-- Gatehouse schema, version 10: the admin panel's identities (docs/api-auth.md "Admins, roles,
-- audit"): roles that group permissions, admins (optionally scoped to one reseller) and the
-- audit log every API write appends to in the same transaction as the change.
--
-- Permission names are the catalogue of core/api/permissions.cpp; a test checks that the
-- superadmin role below holds exactly that catalogue.
CREATE TABLE roles (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9._-]{1,64}$'),
    description text NOT NULL DEFAULT '',
    permissions text[] NOT NULL DEFAULT '{}',
    builtin     boolean NOT NULL DEFAULT false
);

CREATE TABLE admins (
    id              bigserial PRIMARY KEY,
    -- Usernames are stored as typed but compared case-insensitively (the index below): "Alice"
    -- and "alice" are one admin, so a login never depends on the caps lock.
    username        text NOT NULL CHECK (username ~ '^[A-Za-z0-9._-]{3,64}$'),
    password_hash   text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),  -- PHC string
    role_id         bigint NOT NULL REFERENCES roles (id) ON DELETE RESTRICT,
    -- NULL: the whole ISP; otherwise this admin sees only that reseller's subscribers and the
    -- NAS rows assigned to it (reseller_nas).
    reseller_id     bigint REFERENCES resellers (id) ON DELETE RESTRICT,
    enabled         boolean NOT NULL DEFAULT true,
    -- Tokens carry it as "sv"; "log out everywhere", a password change, a disable and refresh
    -- token reuse bump it, so every token issued before is refused.
    session_version integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    last_login_at   timestamptz,
    last_login_ip   inet
);
CREATE UNIQUE INDEX admins_username_key ON admins (lower(username));
CREATE INDEX admins_reseller ON admins (reseller_id);

CREATE TABLE audit_log (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    -- Kept when the admin is deleted: the username column still says who it was.
    admin_id       bigint REFERENCES admins (id) ON DELETE SET NULL,
    admin_username text NOT NULL DEFAULT '',
    action         text NOT NULL,            -- "create", "update", "login", "login_failed", ...
    resource       text NOT NULL,            -- "admin", "nas", "subscriber", "auth", ...
    resource_id    text NOT NULL DEFAULT '',
    before         jsonb,                    -- secrets replaced by "***" (core/api/audit.cpp)
    after          jsonb,
    peer_ip        inet
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_resource ON audit_log (resource, resource_id);

INSERT INTO roles (name, description, permissions, builtin) VALUES
    ('superadmin', 'Everything, including admins and settings',
     ARRAY['dashboard.view',
           'nas.view', 'nas.create', 'nas.edit', 'nas.delete',
           'subscribers.view', 'subscribers.create', 'subscribers.edit', 'subscribers.delete',
           'services.view', 'services.create', 'services.edit', 'services.delete',
           'sessions.view', 'sessions.disconnect',
           'pools.view', 'pools.edit',
           'logs.view',
           'policies.view', 'policies.reload', 'policies.eval',
           'settings.view', 'settings.edit',
           'resellers.view', 'resellers.edit',
           'admins.view', 'admins.create', 'admins.edit', 'admins.delete'], true),
    ('operator', 'Runs the network: everything but admins and changing settings',
     ARRAY['dashboard.view',
           'nas.view', 'nas.create', 'nas.edit', 'nas.delete',
           'subscribers.view', 'subscribers.create', 'subscribers.edit', 'subscribers.delete',
           'services.view', 'services.create', 'services.edit', 'services.delete',
           'sessions.view', 'sessions.disconnect',
           'pools.view', 'pools.edit',
           'logs.view',
           'policies.view', 'policies.reload', 'policies.eval',
           'settings.view',
           'resellers.view', 'resellers.edit'], true),
    ('reseller', 'Manages its own subscribers on the NAS rows assigned to it',
     ARRAY['nas.view',
           'subscribers.view', 'subscribers.create', 'subscribers.edit', 'subscribers.delete',
           'services.view', 'sessions.view', 'sessions.disconnect'], true),
    ('viewer', 'Reads everything, changes nothing',
     ARRAY['dashboard.view', 'nas.view', 'subscribers.view', 'services.view', 'sessions.view',
           'pools.view', 'logs.view', 'policies.view', 'settings.view', 'resellers.view',
           'admins.view'], true);
