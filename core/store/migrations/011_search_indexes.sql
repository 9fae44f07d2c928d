-- Gatehouse schema, version 11: indexes for the panel's searches and its dashboard, measured by
-- `scripts/bench api` (docs/api-bench.md) on 100,000 subscribers and a million log rows.
--
-- Subscriber search (GET /subscribers?q=) matches any part of the username, or of the MAC's hex
-- digits, with LIKE '%...%'. A trigram index (pg_trgm, shipped with PostgreSQL: the Debian
-- package has it) answers that without reading every row. pg_trgm is a trusted extension
-- (PostgreSQL 13+): a database owner may create it. Where the migrating role may not, the
-- search still works, by a sequential scan, and a NOTICE says why.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX subscribers_username_trgm ON subscribers USING gin (lower(username) gin_trgm_ops);
    CREATE INDEX subscribers_mac_trgm ON subscribers
        USING gin (replace(upper(mac::text), ':', '') gin_trgm_ops) WHERE mac IS NOT NULL;
EXCEPTION
    WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN
        RAISE NOTICE 'pg_trgm is not available (%): subscriber search reads the whole table',
            SQLERRM;
END
$$;

-- Rejects are a small part of the log (every accept and accounting event is logged too): the
-- dashboard's "rejects by reason, 24 hours" and the log's event=reject filter read them alone.
CREATE INDEX radius_logs_rejects ON radius_logs (at) WHERE event = 'reject';
