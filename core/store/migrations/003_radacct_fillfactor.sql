-- Gatehouse schema, version 3: more free space in radacct pages.
--
-- An Interim-Update rewrites its session's row. When the new version fits in the same page
-- (and no indexed column changed) it is a HOT update: no index entry is written. With the
-- fillfactor of 80 of version 2, a page had room for about five new versions while it holds
-- about twenty sessions, whose Interims often come close together (after a BNG restart, every
-- session's first Interim falls in the same minutes): most became non-HOT updates writing an
-- entry in each of radacct's seven indexes (docs/accounting-bench.md). 60 leaves room for a
-- new version of most rows of a page; the cost is a third more pages for closed sessions.

-- The existing partitions (a partitioned table has no storage, so no fillfactor of its own)
-- keep their rows; pages they add from now on follow the new setting.
DO $$
DECLARE
    part regclass;
BEGIN
    FOR part IN SELECT inhrelid::regclass FROM pg_inherits WHERE inhparent = 'radacct'::regclass
    LOOP
        EXECUTE format('ALTER TABLE %s SET (fillfactor = 60)', part);
    END LOOP;
END;
$$;

-- Partitions created from now on: the same function as version 2 with the new fillfactor.
CREATE OR REPLACE FUNCTION gh_ensure_radacct_partitions(months_ahead int) RETURNS int
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
                       ' WITH (fillfactor = 60)', part);
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
