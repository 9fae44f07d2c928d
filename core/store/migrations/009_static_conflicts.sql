-- Gatehouse schema, version 9: static IP conflicts at login (docs/ipam.md "Static address
-- conflicts"; the rule is the policy's, lib/ip.lua ip.on_static_conflict).
--
-- A subscriber whose static address is held by another subscriber's open session (or pool
-- claim) is refused on logins 1 .. attempts-1 in a row; the attempts-th login gets a free address
-- of Gatehouse's pools inside the policy's subnet (the static address's /24 by default), so both
-- stay online. Each streak of conflicts is one row here: what the operator sorts out.
CREATE TABLE ip_static_conflicts (
    id                   bigserial PRIMARY KEY,
    subscriber_id        bigint NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    address              inet NOT NULL,                 -- the static address asked for
    holder_subscriber_id bigint REFERENCES subscribers (id) ON DELETE SET NULL,
    holder               text NOT NULL,                 -- "bob session 81000001", "pool p (bob)"
    attempts             integer NOT NULL DEFAULT 1 CHECK (attempts >= 1),
    outcome              text NOT NULL CHECK (outcome IN ('rejected', 'fallback', 'exhausted')),
    assigned_ip          inet,                          -- outcome 'fallback': the address given
    first_at             timestamptz NOT NULL DEFAULT now(),
    last_at              timestamptz NOT NULL DEFAULT now(),
    resolved_at          timestamptz                    -- a later login found the address free
);
-- At most one open streak per subscriber.
CREATE UNIQUE INDEX ip_static_conflicts_open ON ip_static_conflicts (subscriber_id)
    WHERE resolved_at IS NULL;
CREATE INDEX ip_static_conflicts_recent ON ip_static_conflicts (last_at DESC);

-- Checks and claims static address p_addr for p_subscriber (asked for by NAS p_nas, NULL if
-- unknown). Outcomes:
--   'static'     nobody else holds it: send it; an open conflict streak is resolved
--   'rejected'   held by `holder`; this is login `attempt` of the streak, before the fallback
--   'fallback'   held by `holder`; `claimed` is a free pool address inside p_subnet instead
--   'exhausted'  held by `holder`, and p_subnet has no free pool address (or p_subnet is NULL
--                and the streak reached p_attempts)
-- A streak whose last login is older than p_window starts again at 1: the conflict was
-- probably sorted out and has come back.
CREATE FUNCTION gh_ip_claim_static(p_subscriber bigint, p_nas bigint, p_addr inet,
                                   p_attempts integer, p_subnet cidr, p_window interval,
                                   OUT claimed inet, OUT outcome text, OUT holder text,
                                   OUT attempt integer)
LANGUAGE plpgsql AS $$
DECLARE
    holder_id bigint;
    streak    ip_static_conflicts%ROWTYPE;
    going_on  boolean;
    pool_status text;
    pool_holder text;
BEGIN
    -- The per-subscriber claim lock of gh_ip_claim (migration 5): a retransmitted login racing
    -- itself on two nodes counts one attempt after the other and takes one fallback address.
    PERFORM pg_advisory_xact_lock(1734895984, (p_subscriber % 2147483647)::int);

    SELECT o.subscriber_id, o.username || ' session ' || o.acctsessionid
      INTO holder_id, holder
      FROM radacct o
     WHERE o.acctstoptime IS NULL AND o.framedipaddress = p_addr
       AND o.subscriber_id IS DISTINCT FROM p_subscriber
     ORDER BY o.acctstarttime
     LIMIT 1;
    IF holder IS NULL THEN
        -- By address alone, then judged here: with status and owner in the WHERE clause, a
        -- plan made while no address was in use scanned every in-use row (measured:
        -- docs/ipam-bench.md), where UNIQUE (ip) finds the one row.
        SELECT a.subscriber_id, a.status,
               'pool ' || a.pool_name || ' (' || COALESCE(s.username, '?') || ')'
          INTO holder_id, pool_status, pool_holder
          FROM ip_pool_assignments a LEFT JOIN subscribers s ON s.id = a.subscriber_id
         WHERE a.ip = p_addr;
        IF pool_status = 'in_use' AND holder_id <> p_subscriber THEN
            holder := pool_holder;
        ELSE
            holder_id := NULL;
        END IF;
    END IF;

    IF holder IS NULL THEN
        UPDATE ip_static_conflicts SET resolved_at = now()
         WHERE subscriber_id = p_subscriber AND resolved_at IS NULL;
        claimed := p_addr;
        outcome := 'static';
        RETURN;
    END IF;

    SELECT * INTO streak FROM ip_static_conflicts
     WHERE subscriber_id = p_subscriber AND resolved_at IS NULL FOR UPDATE;
    going_on := FOUND;
    IF going_on AND (streak.address <> p_addr OR streak.last_at < now() - p_window) THEN
        UPDATE ip_static_conflicts SET resolved_at = now() WHERE id = streak.id;
        going_on := false;
    END IF;
    IF going_on THEN
        attempt := streak.attempts + 1;
        UPDATE ip_static_conflicts
           SET attempts = attempt, last_at = now(), holder = gh_ip_claim_static.holder,
               holder_subscriber_id = holder_id
         WHERE id = streak.id;
    ELSE
        attempt := 1;
        INSERT INTO ip_static_conflicts (subscriber_id, address, holder_subscriber_id, holder,
                                         outcome)
        VALUES (p_subscriber, p_addr, holder_id, gh_ip_claim_static.holder, 'rejected')
        RETURNING * INTO streak;
    END IF;

    IF attempt < p_attempts THEN
        outcome := 'rejected';
    ELSIF p_subnet IS NULL THEN
        outcome := 'exhausted';
    ELSE
        -- The address this subscriber already holds inside the subnet (its fallback of an
        -- earlier login), else the free one it held last, else the free one released longest
        -- ago: the same order as gh_ip_claim, over every pool the NAS may use.
        UPDATE ip_pool_assignments SET assigned_at = now(), updated_at = now()
         WHERE id = (SELECT a.id FROM ip_pool_assignments a
                      WHERE a.subscriber_id = p_subscriber AND a.status = 'in_use'
                        AND a.ip << p_subnet AND a.ip <> p_addr AND NOT a.retired
                      ORDER BY a.assigned_at DESC LIMIT 1)
        RETURNING ip INTO claimed;
        IF NOT FOUND THEN
            UPDATE ip_pool_assignments p
               SET status = 'in_use', subscriber_id = p_subscriber, assigned_at = now(),
                   updated_at = now()
             WHERE p.status = 'available'
               AND p.id = (SELECT a.id FROM ip_pool_assignments a
                           WHERE a.ip << p_subnet AND a.ip <> p_addr
                             AND a.status = 'available' AND NOT a.retired
                             -- the pool's NAS binding, copied onto its rows (migration 5)
                             AND (p_nas IS NULL OR a.nas_id IS NULL OR a.nas_id = p_nas)
                             -- one address per subscriber and pool (ip_pool_one_per_subscriber)
                             AND NOT EXISTS (SELECT 1 FROM ip_pool_assignments h
                                             WHERE h.pool_name = a.pool_name
                                               AND h.subscriber_id = p_subscriber)
                             AND NOT gh_ip_taken_elsewhere(a.ip, p_subscriber)
                           ORDER BY a.last_subscriber_id IS DISTINCT FROM p_subscriber,
                                    a.released_at NULLS FIRST, a.ip
                           LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING p.ip INTO claimed;
        END IF;
        outcome := CASE WHEN claimed IS NULL THEN 'exhausted' ELSE 'fallback' END;
    END IF;
    UPDATE ip_static_conflicts SET outcome = gh_ip_claim_static.outcome, assigned_ip = claimed
     WHERE id = streak.id;
END;
$$;
