-- Gatehouse schema, version 7: CoA / Disconnect fallback and verification (docs/coa.md).
--
-- done_via: how a row reached its final state. 'radius' is the RFC 5176 answer (or its
--   absence); 'api' is the MikroTik API fallback: a Disconnect that timed out or was NAKed was
--   ended with /ppp/active/remove (status 'acked'), or the router no longer listed the session.
--   last_error keeps the RADIUS outcome that led to the fallback.
-- fallback_result: what the API fallback did or why it could not ("removed *80000001",
--   "not listed", "api: connect: ..."); NULL when no fallback was tried.
-- verified_at / verify_result / verify_detail: the coa_verify job (core/jobs/coa_verify.cpp)
--   looked again after an ACK: 'verified' (a Disconnect's session has its Stop in radacct or is
--   gone from /ppp/active; a CoA's session is still up on a MikroTik), 'unverified' (still open
--   after the window, or a CoA's session vanished), 'skipped' (nothing this NAS lets us check).
ALTER TABLE coa_requests
    ADD COLUMN done_via        text NOT NULL DEFAULT 'radius' CHECK (done_via IN ('radius', 'api')),
    ADD COLUMN fallback_result text,
    ADD COLUMN verified_at     timestamptz,
    ADD COLUMN verify_result   text CHECK (verify_result IN ('verified', 'unverified', 'skipped')),
    ADD COLUMN verify_detail   text,
    ADD CONSTRAINT coa_requests_verify_pair CHECK ((verified_at IS NULL) = (verify_result IS NULL)),
    ADD CONSTRAINT coa_requests_verify_acked CHECK (verified_at IS NULL OR status = 'acked');

-- The coa_verify job's scan: acked rows nobody has looked at again. Small: a row leaves it once
-- verified, unverified or skipped.
CREATE INDEX coa_requests_to_verify ON coa_requests (done_at)
    WHERE status = 'acked' AND verified_at IS NULL;
