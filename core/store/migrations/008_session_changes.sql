-- Gatehouse schema, version 8: plan change, renewal, disable and expiry reach live sessions
-- (docs/coa.md "Plan change, renewal, disable, expiry").
--
-- tier_change_jobs keeps its name but is now the table of *session change jobs*: whatever must
-- be carried out on a subscriber's open sessions. `kind` says what changed:
--   tier      the FUP tier (the accounting writer, as before): CoA with coa_for_tier(to_tier)
--   plan      the service (store::updateSubscriber): CoA with the new service's attributes, or
--             Disconnect when the session's address cannot stay (another pool)
--   renewal   expires_at moved from the past to the future (the subscriber paid): Disconnect
--   disabled  enabled went from true to false: Disconnect
--   expiry    the expiry (plus grace days) passed during a session (the `expiry` job): Disconnect
-- The jobs leader's fup_coa job (core/jobs/fup_coa.cpp) turns pending rows into coa_requests.
-- For the non-tier kinds from_tier = to_tier = the subscriber's current_tier.
ALTER TABLE tier_change_jobs
    ADD COLUMN kind text NOT NULL DEFAULT 'tier'
        CHECK (kind IN ('tier', 'plan', 'renewal', 'disabled', 'expiry')),
    -- kind 'plan': the service before the change (NULL: none), so the job can tell whether the
    -- session's address pool changes with the plan. No foreign key: a hint (a service deleted
    -- meanwhile is simply not found; service ids are never reused), and deleting a service
    -- must not have to scan this table.
    ADD COLUMN from_service_id bigint;

-- The expiry job's "is there already an expiry job for this subscriber since its cut moment":
-- one probe per open session of an expired subscriber.
CREATE INDEX tier_change_jobs_expiry ON tier_change_jobs (subscriber_id, created_at)
    WHERE kind = 'expiry';
