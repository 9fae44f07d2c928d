-- Gatehouse schema, version 4: the CoA / Disconnect outbox (RFC 5176, docs/coa.md).
-- Every CoA-Request and Disconnect-Request is a row here before anything is sent, so a restart
-- of the jobs role loses none. store::coa_outbox_repository claims due rows with
-- FOR UPDATE SKIP LOCKED (two senders never send one row twice) and records each outcome.
--
-- States:  pending --claim--> sending --ACK--> acked
--                                     --NAK--> naked (error_cause)
--                                     --no answer / send error--> pending (later), or
--                                       expired once the deadline has passed
--                                     --cannot be encoded--> failed
-- A row left in 'sending' by a sender that died is claimed again once its lease
-- (next_attempt_at, set at claim time) runs out.
CREATE TABLE coa_requests (
    id              bigserial PRIMARY KEY,
    nas_id          bigint NOT NULL REFERENCES nas_devices (id) ON DELETE CASCADE,
    subscriber_id   bigint REFERENCES subscribers (id) ON DELETE SET NULL,
    username        text NOT NULL DEFAULT '',
    acct_session_id text NOT NULL DEFAULT '',
    kind            text NOT NULL CHECK (kind IN ('coa', 'disconnect')),
    -- The attributes to send, in order: [["User-Name", "alice"], ["Acct-Session-Id", "81a0"]],
    -- names from the dictionary, values as radclient writes them.
    attributes      jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(attributes) = 'array'),
    reason          text NOT NULL DEFAULT 'operator' CHECK (reason <> ''),
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'acked', 'naked', 'failed', 'expired')),
    -- Claims so far (each claim is one CoaClient::send with its own retransmissions).
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    deadline        timestamptz NOT NULL DEFAULT now() + interval '1 hour',
    -- RFC 5176 3.6 Error-Cause of the answer (a NAK's reason; an ACK may carry 201).
    error_cause     integer,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    done_at         timestamptz,
    CHECK ((status IN ('pending', 'sending')) = (done_at IS NULL))
);
-- The claim query: due rows, oldest first. Small: only rows still to send are in it.
CREATE INDEX coa_requests_due ON coa_requests (next_attempt_at)
    WHERE status IN ('pending', 'sending');
-- Per-NAS health over the last day (the panel), and a subscriber's history.
CREATE INDEX coa_requests_nas_created ON coa_requests (nas_id, created_at);
CREATE INDEX coa_requests_subscriber ON coa_requests (subscriber_id, created_at)
    WHERE subscriber_id IS NOT NULL;
