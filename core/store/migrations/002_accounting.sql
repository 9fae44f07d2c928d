-- Gatehouse schema, version 2: accounting (issue 5). radacct partitioned by month, the session
-- key table, usage counters, FUP tier-change jobs and the spool replay bookkeeping.
-- Written by store::AccountingRepository (core/store/accounting_repository.cpp), one
-- transaction per group-commit batch.

-- radacct of version 1 was never written to: replace it.
DROP TABLE radacct;

-- RFC 2866 sessions, one row per session, FreeRADIUS column names (which reporting tools know).
-- Partitioned by month of acctstarttime (partitions radacct_YYYY_MM, bounds in UTC) so old
-- months are dropped with DROP TABLE instead of a DELETE that bloats the live month.
-- No foreign keys: radacct is history; a deleted subscriber or NAS must neither rewrite it nor
-- make the accounting writer fail a whole batch.
CREATE TABLE radacct (
    radacctid          bigserial,
    acctsessionid      text NOT NULL,
    acctuniqueid       text NOT NULL,
    username           text NOT NULL,
    subscriber_id      bigint,
    nas_id             bigint,
    nasipaddress       inet NOT NULL,
    nasportid          text,
    nasporttype        text,
    framedipaddress    inet,
    callingstationid   text,
    calledstationid    text,
    -- The partition key: never NULL (an Interim or Stop without its Start gets
    -- event time - Acct-Session-Time).
    acctstarttime      timestamptz NOT NULL,
    -- The last event seen (start time at first); the stale sweep compares it.
    acctupdatetime     timestamptz NOT NULL,
    acctstoptime       timestamptz,
    acctsessiontime    bigint NOT NULL DEFAULT 0,
    -- Octets including the Gigawords (RFC 2869 5.1, 5.2): upload, download.
    acctinputoctets    bigint NOT NULL DEFAULT 0,
    acctoutputoctets   bigint NOT NULL DEFAULT 0,
    acctterminatecause text,
    tags               text[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (radacctid, acctstarttime)
) PARTITION BY RANGE (acctstarttime);

-- Rows outside every monthly partition (a NAS whose clock says 1970, a month the daily job
-- has not created yet) land here rather than failing the batch.
CREATE TABLE radacct_default PARTITION OF radacct DEFAULT;

-- Indexes are declared on the parent, so every partition gets them. Deliberately none on a
-- column an Interim-Update changes (acctupdatetime, counters, session time): then an Interim
-- is a HOT update (no index entries written; partitions have fillfactor 80 to leave room),
-- which is most of the accounting write load. The stale sweep instead walks the open
-- sessions through radacct_open_by_nas and filters on acctupdatetime: the open sessions are a
-- small, hot set compared with the table.
CREATE INDEX radacct_open_by_nas ON radacct (nasipaddress) WHERE acctstoptime IS NULL;
CREATE INDEX radacct_open_by_user ON radacct (username) WHERE acctstoptime IS NULL;
CREATE INDEX radacct_open_by_subscriber ON radacct (subscriber_id)
    WHERE acctstoptime IS NULL AND subscriber_id IS NOT NULL;
CREATE INDEX radacct_open_framed_ip ON radacct (framedipaddress)
    WHERE acctstoptime IS NULL AND framedipaddress IS NOT NULL;
-- Time range queries: partition pruning picks the months, BRIN the blocks inside one (rows
-- arrive roughly in start order, and BRIN costs almost nothing per insert).
CREATE INDEX radacct_start ON radacct USING brin (acctstarttime);
-- A subscriber's session history in the panel.
CREATE INDEX radacct_user_start ON radacct (username, acctstarttime);

-- "One row per session, found by acctuniqueid": a partitioned table cannot have a unique
-- index on acctuniqueid alone (a unique index must include the partition key, and the start
-- time of a session is not known for sure until its Start arrives). This unpartitioned table
-- is the global key: INSERT ... ON CONFLICT DO NOTHING on it decides, even between two
-- writers, which one creates the session, and it says where the row is (radacctid plus the
-- partition key, so the lookup is pruned to one partition). Dropping an old radacct partition
-- should be followed by
--   DELETE FROM acct_sessions WHERE acctstarttime < <the dropped partition's upper bound>;
CREATE TABLE acct_sessions (
    acctuniqueid  text PRIMARY KEY,
    radacctid     bigint NOT NULL,
    acctstarttime timestamptz NOT NULL
);
CREATE INDEX acct_sessions_start ON acct_sessions USING brin (acctstarttime);

-- Creates the missing monthly partitions from last month through `months_ahead` months after
-- the current one (months in UTC); returns how many it created. The migration runs it once;
-- the jobs role (leader) calls SELECT gh_ensure_radacct_partitions(3) daily, so a month's
-- partition always exists before its first session. Rows that already fell into
-- radacct_default for that month are moved into the new partition.
CREATE FUNCTION gh_ensure_radacct_partitions(months_ahead int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    first_month date := (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 month')::date;
    m date;
    lo timestamptz;
    hi timestamptz;
    part text;
    created int := 0;
BEGIN
    -- Serialise concurrent callers (two nodes' jobs roles): key "gh_part" in ASCII.
    PERFORM pg_advisory_xact_lock(29113266807091572);
    FOR i IN 0 .. months_ahead + 1 LOOP
        m := (first_month + make_interval(months => i))::date;
        part := 'radacct_' || to_char(m, 'YYYY_MM');
        CONTINUE WHEN to_regclass(part) IS NOT NULL;
        lo := (m::timestamp) AT TIME ZONE 'UTC';
        hi := ((m + interval '1 month')::timestamp) AT TIME ZONE 'UTC';
        -- Created detached, filled from the default partition, then attached: attaching a
        -- range the default partition still has rows for would fail.
        EXECUTE format('CREATE TABLE %I (LIKE radacct INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'
                       ' WITH (fillfactor = 80)', part);
        EXECUTE format('WITH moved AS (DELETE FROM radacct_default WHERE acctstarttime >= %L'
                       ' AND acctstarttime < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
                       lo, hi, part);
        EXECUTE format('ALTER TABLE radacct ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                       part, lo, hi);
        created := created + 1;
    END LOOP;
    RETURN created;
END;
$$;

SELECT gh_ensure_radacct_partitions(3);

-- Bytes per subscriber per day and per month, in the ISP's time zone (settings.timezone).
-- upload = Acct-Input-Octets (from the subscriber), download = Acct-Output-Octets.
CREATE TABLE subscriber_usage_daily (
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    day           date NOT NULL,
    upload        bigint NOT NULL DEFAULT 0 CHECK (upload >= 0),
    download      bigint NOT NULL DEFAULT 0 CHECK (download >= 0),
    PRIMARY KEY (subscriber_id, day)
);
CREATE TABLE subscriber_usage_monthly (
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    month         date NOT NULL CHECK (extract(day FROM month) = 1),  -- first of the month
    upload        bigint NOT NULL DEFAULT 0 CHECK (upload >= 0),
    download      bigint NOT NULL DEFAULT 0 CHECK (download >= 0),
    PRIMARY KEY (subscriber_id, month)
);
-- loadLiveState: everyone with usage this month.
CREATE INDEX subscriber_usage_monthly_month ON subscriber_usage_monthly (month);

-- The FUP tier the NAS was last told to apply (0: none). Updating it fires subscribers_notify,
-- which is wanted: the snapshot's policy view sees the new tier.
ALTER TABLE subscribers ADD COLUMN current_tier integer NOT NULL DEFAULT 0
    CHECK (current_tier >= 0);

-- FUP tier changes the jobs leader must carry out on the NAS (CoA / RouterOS API).
CREATE TABLE tier_change_jobs (
    id            bigserial PRIMARY KEY,
    subscriber_id bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    from_tier     integer NOT NULL,
    to_tier       integer NOT NULL,
    reason        text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts      integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error    text
);
CREATE INDEX tier_change_jobs_pending ON tier_change_jobs (created_at) WHERE status = 'pending';

-- Spool batches already in the database (written in the batch's own transaction), so a replay
-- after a crash between commit and the spool checkpoint skips them.
CREATE TABLE accounting_spool_applied (
    spool_id   text NOT NULL,
    seq        bigint NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (spool_id, seq)
);
