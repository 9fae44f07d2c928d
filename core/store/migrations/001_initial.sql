-- Gatehouse schema, version 1. Applied once by `gatehouse migrate` inside one transaction.
-- The constraints here are the last line of defence: the CLI and the panel validate first,
-- but two operators racing must still not give one address to two subscribers.

CREATE TABLE resellers (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name <> ''),
    parent_id   bigint REFERENCES resellers (id) ON DELETE RESTRICT,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE nas_devices (
    id                            bigserial PRIMARY KEY,
    name                          text NOT NULL UNIQUE CHECK (name <> ''),
    short_name                    text NOT NULL DEFAULT '',
    -- The address the NAS sources RADIUS from: one host, IPv4 (the snapshot keys on it).
    ip                            inet NOT NULL UNIQUE
                                  CHECK (family(ip) = 4 AND masklen(ip) = 32),
    type                          text NOT NULL DEFAULT 'mikrotik'
                                  CHECK (type IN ('mikrotik', 'generic', 'cisco', 'juniper', 'huawei')),
    -- RFC 2865 3: the shared secret; the server needs it in clear to sign replies.
    secret                        text NOT NULL CHECK (secret <> '' AND length(secret) <= 128),
    description                   text NOT NULL DEFAULT '',
    enabled                       boolean NOT NULL DEFAULT true,
    auth_port                     integer NOT NULL DEFAULT 1812 CHECK (auth_port BETWEEN 1 AND 65535),
    acct_port                     integer NOT NULL DEFAULT 1813 CHECK (acct_port BETWEEN 1 AND 65535),
    coa_port                      integer NOT NULL DEFAULT 3799 CHECK (coa_port BETWEEN 1 AND 65535),
    realms                        text[] NOT NULL DEFAULT '{}',
    require_message_authenticator boolean NOT NULL DEFAULT true,
    limit_proxy_state             boolean NOT NULL DEFAULT true,
    api_username                  text NOT NULL DEFAULT '',
    api_password_enc              text CHECK (api_password_enc LIKE 'gh1:%'),
    api_port                      integer NOT NULL DEFAULT 8728 CHECK (api_port BETWEEN 1 AND 65535),
    api_ssl_port                  integer NOT NULL DEFAULT 8729 CHECK (api_ssl_port BETWEEN 1 AND 65535),
    api_use_ssl                   boolean NOT NULL DEFAULT false,
    created_at                    timestamptz NOT NULL DEFAULT now(),
    updated_at                    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reseller_nas (
    reseller_id bigint NOT NULL REFERENCES resellers (id) ON DELETE CASCADE,
    nas_id      bigint NOT NULL REFERENCES nas_devices (id) ON DELETE CASCADE,
    PRIMARY KEY (reseller_id, nas_id)
);

CREATE TABLE services (
    id                           bigserial PRIMARY KEY,
    name                         text NOT NULL UNIQUE CHECK (name <> ''),
    download_bps                 bigint NOT NULL CHECK (download_bps >= 0),
    upload_bps                   bigint NOT NULL CHECK (upload_bps >= 0),
    burst_download_bps           bigint NOT NULL DEFAULT 0 CHECK (burst_download_bps >= 0),
    burst_upload_bps             bigint NOT NULL DEFAULT 0 CHECK (burst_upload_bps >= 0),
    burst_threshold_download_bps bigint NOT NULL DEFAULT 0 CHECK (burst_threshold_download_bps >= 0),
    burst_threshold_upload_bps   bigint NOT NULL DEFAULT 0 CHECK (burst_threshold_upload_bps >= 0),
    burst_time_s                 integer NOT NULL DEFAULT 0 CHECK (burst_time_s >= 0),
    priority                     integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 8),
    pool_name                    text NOT NULL DEFAULT '',
    managed_pool                 text NOT NULL DEFAULT '',
    idle_timeout                 integer NOT NULL DEFAULT 0 CHECK (idle_timeout >= 0),
    session_timeout              integer NOT NULL DEFAULT 0 CHECK (session_timeout >= 0),
    simultaneous_use             integer NOT NULL DEFAULT 1 CHECK (simultaneous_use >= 0),
    filter_id                    text NOT NULL DEFAULT '',
    address_list                 text NOT NULL DEFAULT '',
    fup_counts                   text NOT NULL DEFAULT 'total'
                                 CHECK (fup_counts IN ('download', 'upload', 'total')),
    created_at                   timestamptz NOT NULL DEFAULT now(),
    updated_at                   timestamptz NOT NULL DEFAULT now()
);

-- FUP1..FUP3 of a service, in order.
CREATE TABLE service_fup_tiers (
    service_id    bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
    tier          integer NOT NULL CHECK (tier BETWEEN 1 AND 3),
    name          text NOT NULL,
    daily_bytes   bigint NOT NULL DEFAULT 0 CHECK (daily_bytes >= 0),
    monthly_bytes bigint NOT NULL DEFAULT 0 CHECK (monthly_bytes >= 0),
    download_bps  bigint NOT NULL DEFAULT 0 CHECK (download_bps >= 0),
    upload_bps    bigint NOT NULL DEFAULT 0 CHECK (upload_bps >= 0),
    filter_id     text NOT NULL DEFAULT '',
    PRIMARY KEY (service_id, tier)
);

CREATE TABLE subscribers (
    id           bigserial PRIMARY KEY,
    -- RADIUS User-Name is case-sensitive and at most 253 octets (RFC 2865 5.1).
    username     text NOT NULL UNIQUE
                 CHECK (username <> '' AND octet_length(username) <= 253),
    -- AES-256-GCM (core/crypto/secret_box.hpp): never the plaintext password.
    password_enc text NOT NULL CHECK (password_enc LIKE 'gh1:%'),
    service_id   bigint REFERENCES services (id) ON DELETE RESTRICT,
    static_ip    inet CHECK (static_ip IS NULL OR (family(static_ip) = 4 AND masklen(static_ip) = 32)),
    mac          macaddr,
    expires_at   timestamptz,
    enabled      boolean NOT NULL DEFAULT true,
    reseller_id  bigint REFERENCES resellers (id) ON DELETE RESTRICT,
    last_ip      inet,
    full_name    text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
-- No two active subscribers with one static IP (a disabled account may keep its old one).
CREATE UNIQUE INDEX subscribers_active_static_ip ON subscribers (static_ip)
    WHERE enabled AND static_ip IS NOT NULL;
CREATE INDEX subscribers_service ON subscribers (service_id);

-- Operator-set reply attributes of one subscriber.
CREATE TABLE radreply (
    id            bigserial PRIMARY KEY,
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    attribute     text NOT NULL CHECK (attribute <> ''),
    op            text NOT NULL DEFAULT ':=' CHECK (op IN (':=', '=', '+=')),
    value         text NOT NULL
);
CREATE INDEX radreply_subscriber ON radreply (subscriber_id);
-- A Framed-IP-Address written here belongs to one subscriber only.
CREATE UNIQUE INDEX radreply_framed_ip ON radreply (value) WHERE attribute = 'Framed-IP-Address';

-- Addresses of the pools Gatehouse manages: one row per address, so one owner per address.
CREATE TABLE ip_pool_assignments (
    id            bigserial PRIMARY KEY,
    pool_name     text NOT NULL CHECK (pool_name <> ''),
    ip            inet NOT NULL UNIQUE CHECK (family(ip) = 4 AND masklen(ip) = 32),
    nas_id        bigint REFERENCES nas_devices (id) ON DELETE CASCADE,
    status        text NOT NULL DEFAULT 'available'
                  CHECK (status IN ('available', 'in_use', 'reserved')),
    subscriber_id bigint REFERENCES subscribers (id) ON DELETE SET NULL,
    assigned_at   timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (subscriber_id IS NULL OR status <> 'available')
);
-- A subscriber holds at most one address of a pool.
CREATE UNIQUE INDEX ip_pool_one_per_subscriber ON ip_pool_assignments (pool_name, subscriber_id)
    WHERE subscriber_id IS NOT NULL;
CREATE INDEX ip_pool_free ON ip_pool_assignments (pool_name) WHERE status = 'available';

-- RFC 2866 accounting, one row per session (column names as FreeRADIUS's, which tools know).
CREATE TABLE radacct (
    radacctid          bigserial PRIMARY KEY,
    acctsessionid      text NOT NULL,
    acctuniqueid       text NOT NULL UNIQUE,
    username           text NOT NULL,
    subscriber_id      bigint REFERENCES subscribers (id) ON DELETE SET NULL,
    nasipaddress       inet NOT NULL,
    nasportid          text,
    nasporttype        text,
    framedipaddress    inet,
    callingstationid   text,
    calledstationid    text,
    acctstarttime      timestamptz,
    acctupdatetime     timestamptz,
    acctstoptime       timestamptz,
    acctsessiontime    bigint NOT NULL DEFAULT 0,
    acctinputoctets    bigint NOT NULL DEFAULT 0,
    acctoutputoctets   bigint NOT NULL DEFAULT 0,
    acctterminatecause text
);
CREATE INDEX radacct_open_by_user ON radacct (username) WHERE acctstoptime IS NULL;
CREATE INDEX radacct_open_by_nas ON radacct (nasipaddress) WHERE acctstoptime IS NULL;
CREATE INDEX radacct_start ON radacct (acctstarttime);

-- Best-effort event log (accepts, rejects and why); bytes are billed from radacct.
CREATE TABLE radius_logs (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    username  text,
    nas_ip    inet,
    event     text NOT NULL,
    reason    text NOT NULL DEFAULT '',
    detail    jsonb
);
CREATE INDEX radius_logs_at ON radius_logs (at);
CREATE INDEX radius_logs_username ON radius_logs (username, at);

-- The ISP's settings (policy::Settings); absent keys take the built-in defaults.
CREATE TABLE settings (
    key        text PRIMARY KEY CHECK (key <> ''),
    value      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Change notification: the snapshot loader LISTENs on these channels and reloads the row
-- named in the payload ("<op>:<id>", op I/U/D), so a change is live within a second.
CREATE FUNCTION gh_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_id text;
BEGIN
    IF TG_TABLE_NAME = 'radreply' OR TG_TABLE_NAME = 'service_fup_tiers' THEN
        -- A child row changed: tell the loader about its parent.
        IF TG_TABLE_NAME = 'radreply' THEN
            row_id := COALESCE(NEW.subscriber_id, OLD.subscriber_id)::text;
        ELSE
            row_id := COALESCE(NEW.service_id, OLD.service_id)::text;
        END IF;
        PERFORM pg_notify(TG_ARGV[0], 'U:' || row_id);
    ELSIF TG_TABLE_NAME = 'settings' THEN
        PERFORM pg_notify(TG_ARGV[0], 'U:' || COALESCE(NEW.key, OLD.key));
    ELSE
        row_id := COALESCE(NEW.id, OLD.id)::text;
        PERFORM pg_notify(TG_ARGV[0], left(TG_OP, 1) || ':' || row_id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE FUNCTION gh_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER nas_devices_notify AFTER INSERT OR UPDATE OR DELETE ON nas_devices
    FOR EACH ROW EXECUTE FUNCTION gh_notify_change('gh_nas');
CREATE TRIGGER services_notify AFTER INSERT OR UPDATE OR DELETE ON services
    FOR EACH ROW EXECUTE FUNCTION gh_notify_change('gh_service');
CREATE TRIGGER service_fup_tiers_notify AFTER INSERT OR UPDATE OR DELETE ON service_fup_tiers
    FOR EACH ROW EXECUTE FUNCTION gh_notify_change('gh_service');
CREATE TRIGGER subscribers_notify AFTER INSERT OR UPDATE OR DELETE ON subscribers
    FOR EACH ROW EXECUTE FUNCTION gh_notify_change('gh_subscriber');
CREATE TRIGGER radreply_notify AFTER INSERT OR UPDATE OR DELETE ON radreply
    FOR EACH ROW EXECUTE FUNCTION gh_notify_change('gh_subscriber');
CREATE TRIGGER settings_notify AFTER INSERT OR UPDATE OR DELETE ON settings
    FOR EACH ROW EXECUTE FUNCTION gh_notify_change('gh_settings');

CREATE TRIGGER nas_devices_touch BEFORE UPDATE ON nas_devices
    FOR EACH ROW EXECUTE FUNCTION gh_touch_updated_at();
CREATE TRIGGER services_touch BEFORE UPDATE ON services
    FOR EACH ROW EXECUTE FUNCTION gh_touch_updated_at();
CREATE TRIGGER subscribers_touch BEFORE UPDATE ON subscribers
    FOR EACH ROW EXECUTE FUNCTION gh_touch_updated_at();
CREATE TRIGGER settings_touch BEFORE UPDATE ON settings
    FOR EACH ROW EXECUTE FUNCTION gh_touch_updated_at();
