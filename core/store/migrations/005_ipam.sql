-- Gatehouse schema, version 5: IP address management (issue 6). Pool definitions beside the
-- per-address rows of ip_pool_assignments (version 1), sticky memory, and the claim itself as
-- one function, so every Gatehouse node claims through the same row locks in PostgreSQL.
-- Used by store/ipam_repository.cpp; docs/ipam.md explains the rules.

-- A pool as the operator (or the MikroTik import) defined it. The addresses themselves stay one
-- row each in ip_pool_assignments (its UNIQUE (ip) is what makes one owner per address).
CREATE TABLE ip_pools (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (name <> ''),
    -- A pool bound to a NAS is only handed out to that NAS's sessions; NULL: any NAS.
    -- CASCADE as ip_pool_assignments.nas_id: a NAS's pools go with it.
    nas_id     bigint REFERENCES nas_devices (id) ON DELETE CASCADE,
    source     text NOT NULL DEFAULT 'manual' CHECK (source IN ('mikrotik', 'manual')),
    -- The definition as given ("10.0.0.0/24,10.0.1.10-10.0.1.20"), shown back verbatim.
    ranges     text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER ip_pools_touch BEFORE UPDATE ON ip_pools
    FOR EACH ROW EXECUTE FUNCTION gh_touch_updated_at();

-- Pools that exist only as address rows (written before this version): give each a definition
-- made of its runs of consecutive addresses, so the CLI and the panel list them too.
INSERT INTO ip_pools (name, source, ranges)
SELECT pool_name, 'manual',
       string_agg(CASE WHEN lo = hi THEN host(lo) ELSE host(lo) || '-' || host(hi) END, ','
                  ORDER BY lo)
FROM (SELECT pool_name, min(ip) AS lo, max(ip) AS hi
      FROM (SELECT pool_name, ip,
                   (ip - '0.0.0.0'::inet) - row_number() OVER (PARTITION BY pool_name ORDER BY ip)
                       AS run
            FROM ip_pool_assignments) numbered
      GROUP BY pool_name, run) runs
GROUP BY pool_name;

-- Sticky memory: who held the address last and when it was released. Set by a trigger on every
-- release, so the accounting writer's release on Stop (accounting_repository.cpp) keeps it too.
-- No foreign key: it is a hint, and a deleted subscriber's id (bigserial) is never reused.
ALTER TABLE ip_pool_assignments ADD COLUMN last_subscriber_id bigint;
ALTER TABLE ip_pool_assignments ADD COLUMN released_at timestamptz;
-- An address outside its pool's current ranges that was in use when the pool was redefined: it
-- is never handed out again and is removed once released (docs/ipam.md).
ALTER TABLE ip_pool_assignments ADD COLUMN retired boolean NOT NULL DEFAULT false;

CREATE FUNCTION gh_ip_remember_owner() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.last_subscriber_id := OLD.subscriber_id;
    NEW.released_at := now();
    RETURN NEW;
END;
$$;
CREATE TRIGGER ip_pool_assignments_remember BEFORE UPDATE OF subscriber_id ON ip_pool_assignments
    FOR EACH ROW WHEN (OLD.subscriber_id IS NOT NULL
                       AND NEW.subscriber_id IS DISTINCT FROM OLD.subscriber_id)
    EXECUTE FUNCTION gh_ip_remember_owner();

-- The claim walks the free addresses of a pool never-used first, then least recently released
-- (so other subscribers' sticky addresses are taken last), and finds a subscriber's last one.
CREATE INDEX ip_pool_free_lru ON ip_pool_assignments (pool_name, released_at NULLS FIRST, ip)
    WHERE status = 'available' AND NOT retired;
CREATE INDEX ip_pool_last_owner ON ip_pool_assignments (last_subscriber_id, pool_name)
    WHERE status = 'available' AND last_subscriber_id IS NOT NULL;

-- True when handing `addr` to subscriber `sub` would collide with something the pool rows do
-- not show: another active subscriber's static IP, another subscriber's Framed-IP-Address in
-- radreply, or an open session of someone else (an address the NAS gave out by itself).
CREATE FUNCTION gh_ip_taken_elsewhere(addr inet, sub bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM subscribers s
                   WHERE s.static_ip = addr AND s.enabled AND s.id <> sub)
        OR EXISTS (SELECT 1 FROM radreply r
                   WHERE r.attribute = 'Framed-IP-Address' AND r.value = host(addr)
                     AND r.subscriber_id <> sub)
        OR EXISTS (SELECT 1 FROM radacct o
                   WHERE o.acctstoptime IS NULL AND o.framedipaddress = addr
                     AND o.subscriber_id IS DISTINCT FROM sub)
$$;

-- Claims an address of pool p_pool for subscriber p_subscriber asked for by NAS p_nas (NULL:
-- unknown). Outcome: 'current' (the address it already holds), 'last' (the one it held last,
-- still free), 'new', or without an address 'exhausted', 'unknown_pool', 'wrong_nas'.
-- Collision-free across nodes: an address changes hands only by the UPDATE of its one row, made
-- under that row's lock and after re-checking status = 'available' on the newest row version
-- (READ COMMITTED re-check of FOR UPDATE). SKIP LOCKED makes a concurrent claimer move on to
-- the next free row instead of queueing behind a row another claimer is taking.
CREATE FUNCTION gh_ip_claim(p_pool text, p_subscriber bigint, p_nas bigint,
                            OUT claimed inet, OUT outcome text)
LANGUAGE plpgsql AS $$
DECLARE
    pool_nas bigint;
BEGIN
    SELECT nas_id INTO pool_nas FROM ip_pools WHERE name = p_pool;
    -- Address rows written without a definition (an importer predating ip_pools) still count.
    IF NOT FOUND AND NOT EXISTS (SELECT 1 FROM ip_pool_assignments WHERE pool_name = p_pool) THEN
        outcome := 'unknown_pool';
        RETURN;
    END IF;
    IF p_nas IS NOT NULL AND pool_nas IS NOT NULL AND pool_nas <> p_nas THEN
        outcome := 'wrong_nas';
        RETURN;
    END IF;

    -- One claim per subscriber at a time, whichever node runs it: a second login racing the
    -- first (two RADIUS servers answering one BNG's retransmits) then finds the first one's
    -- address as 'current' instead of failing on ip_pool_one_per_subscriber. Key space
    -- (int4, int4), apart from the bigint keys of migrations and partitions; 'ghip' in ASCII.
    PERFORM pg_advisory_xact_lock(1734895984, (p_subscriber % 2147483647)::int);

    UPDATE ip_pool_assignments SET assigned_at = now(), updated_at = now()
    WHERE pool_name = p_pool AND subscriber_id = p_subscriber AND status = 'in_use'
    RETURNING ip INTO claimed;
    IF FOUND THEN
        outcome := 'current';
        RETURN;
    END IF;

    UPDATE ip_pool_assignments p
    SET status = 'in_use', subscriber_id = p_subscriber, assigned_at = now(), updated_at = now()
    WHERE p.status = 'available'
      AND p.id = (SELECT a.id FROM ip_pool_assignments a
                  WHERE a.last_subscriber_id = p_subscriber AND a.pool_name = p_pool
                    AND a.status = 'available' AND NOT a.retired
                    AND NOT gh_ip_taken_elsewhere(a.ip, p_subscriber)
                  ORDER BY a.released_at DESC NULLS LAST
                  LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING p.ip INTO claimed;
    IF FOUND THEN
        outcome := 'last';
        RETURN;
    END IF;

    UPDATE ip_pool_assignments p
    SET status = 'in_use', subscriber_id = p_subscriber, assigned_at = now(), updated_at = now()
    WHERE p.status = 'available'
      AND p.id = (SELECT a.id FROM ip_pool_assignments a
                  WHERE a.pool_name = p_pool AND a.status = 'available' AND NOT a.retired
                    AND NOT gh_ip_taken_elsewhere(a.ip, p_subscriber)
                  ORDER BY a.released_at NULLS FIRST, a.ip
                  LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING p.ip INTO claimed;
    IF FOUND THEN
        outcome := 'new';
        RETURN;
    END IF;
    outcome := 'exhausted';
END;
$$;
