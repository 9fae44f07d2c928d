-- Gatehouse schema, version 6: NAS health (issue 6, docs/jobs.md). Written by the jobs leader's
-- NAS health poller (core/jobs/nas_health.cpp) every 5 minutes; read by the panel and the CLI.

ALTER TABLE nas_devices
    -- The last sign of life: a successful API login, or the newest accounting update of the
    -- NAS's open sessions (NAS without API credentials). NULL: never heard from.
    ADD COLUMN last_seen        timestamptz,
    -- last_seen within the online window (5 minutes) at the last check.
    ADD COLUMN is_online        boolean NOT NULL DEFAULT false,
    -- What /system/resource and /system/identity said at the last successful API check.
    ADD COLUMN version          text,
    ADD COLUMN identity         text,
    ADD COLUMN uptime           text,
    ADD COLUMN board_name       text,
    -- When the poller last looked at this NAS, and what went wrong then (NULL: nothing).
    ADD COLUMN last_check_at    timestamptz,
    ADD COLUMN last_check_error text;

-- The health columns change every few minutes per NAS. They are not configuration: such an
-- update must neither wake every radius node's snapshot loader (gh_nas) nor move updated_at.
-- The triggers of 001 fire only when something other than these columns changed. Comparing
-- whole rows minus a list keeps columns added later covered without editing this list.
CREATE FUNCTION gh_nas_config_changed(old_row nas_devices, new_row nas_devices) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$
    SELECT (to_jsonb(old_row) - ARRAY['last_seen', 'is_online', 'version', 'identity', 'uptime',
                                      'board_name', 'last_check_at', 'last_check_error',
                                      'updated_at'])
           IS DISTINCT FROM
           (to_jsonb(new_row) - ARRAY['last_seen', 'is_online', 'version', 'identity', 'uptime',
                                      'board_name', 'last_check_at', 'last_check_error',
                                      'updated_at'])
$$;

DROP TRIGGER nas_devices_notify ON nas_devices;
CREATE TRIGGER nas_devices_notify AFTER INSERT OR DELETE ON nas_devices
    FOR EACH ROW EXECUTE FUNCTION gh_notify_change('gh_nas');
CREATE TRIGGER nas_devices_notify_update AFTER UPDATE ON nas_devices
    FOR EACH ROW WHEN (gh_nas_config_changed(OLD, NEW))
    EXECUTE FUNCTION gh_notify_change('gh_nas');

DROP TRIGGER nas_devices_touch ON nas_devices;
CREATE TRIGGER nas_devices_touch BEFORE UPDATE ON nas_devices
    FOR EACH ROW WHEN (gh_nas_config_changed(OLD, NEW))
    EXECUTE FUNCTION gh_touch_updated_at();
