#include "core/store/accounting_repository.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "core/store/validate.hpp"

// How a batch becomes SQL. The records are first collapsed per session (acctuniqueid) in C++:
// the rules are monotonic (counters and times only grow, the first Stop closes), so one row
// carrying the maxima up to and including the session's first Stop in the batch is what
// applying the records one by one would leave. Anything after that Stop is a late packet and
// is dropped here. Then, per run of session records between two Accounting-On/Off records
// (normally the whole batch), three statements whatever the batch size, each taking the rows
// as parallel arrays through unnest():
//   1. create the sessions not yet known: acct_sessions key (ON CONFLICT DO NOTHING decides
//      between racing writers) and the radacct row, already carrying the batch's values;
//   2. lock the open rows of the known sessions (and the rows we closed ourselves that the
//      batch reopens), move them forward, add the usage deltas and release the pool
//      addresses of the sessions this batch closed;
//   3. (once per batch) read back the touched subscribers the caller does not already know;
//      for those it knows, statements 1 and 2 report what changed (sessions opened and
//      closed per subscriber, the new usage totals and tier from the usage upserts).
// Accounting-On/Off are one statement each, in their place in the batch's order.
//
// Usage is exact even when one batch holds several Interims of a session that straddle
// midnight: each record whose counter grew is sent as (previous running max, new running
// max) and its delta against the stored value `old` is max(old, cur) - max(old, prev), so the
// deltas of a session add up to max(old, final) - old and each lands on its own day.

namespace gatehouse::store {
namespace {

// --- array literals (PostgreSQL array input syntax) --------------------------------------

/// Valid UTF-8 without NUL, as PostgreSQL's text accepts: one bad User-Name must not fail
/// (and, through the spool, keep failing) a whole batch. Bad bytes become '?'.
std::string cleanText(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    size_t i = 0;
    while (i < in.size()) {
        auto c = static_cast<uint8_t>(in[i]);
        size_t len = c < 0x80           ? 1
                     : (c >> 5) == 0x6  ? 2
                     : (c >> 4) == 0xE  ? 3
                     : (c >> 3) == 0x1E ? 4
                                        : 0;
        bool ok = len != 0 && c != 0 && len <= in.size() - i;
        for (size_t k = 1; ok && k < len; ++k)
            ok = (static_cast<uint8_t>(in[i + k]) & 0xC0) == 0x80;
        if (ok && len == 2)
            ok = c >= 0xC2;  // no overlong forms
        if (ok && len == 3) {
            auto c1 = static_cast<uint8_t>(in[i + 1]);
            ok = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0);  // overlong, surrogate
        }
        if (ok && len == 4) {
            auto c1 = static_cast<uint8_t>(in[i + 1]);
            ok = c <= 0xF4 && !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
        }
        if (!ok) {
            out.push_back('?');
            ++i;
            continue;
        }
        out.append(in.substr(i, len));
        i += len;
    }
    return out;
}

class ArrayLiteral {
  public:
    ArrayLiteral() { text_.push_back('{'); }
    void addInt(int64_t v) {
        separate();
        text_ += std::to_string(v);
    }
    void addNull() {
        separate();
        text_ += "NULL";
    }
    void addOptionalInt(const std::optional<int64_t>& v) { v ? addInt(*v) : addNull(); }
    void addBool(bool v) {
        separate();
        text_.push_back(v ? 't' : 'f');
    }
    void addIp(uint32_t ip) {
        separate();
        text_ += formatIpv4(ip);
    }
    void addOptionalIp(const std::optional<uint32_t>& ip) { ip ? addIp(*ip) : addNull(); }
    void addText(std::string_view v) {
        separate();
        text_.push_back('"');
        for (char c : cleanText(v)) {
            if (c == '"' || c == '\\')
                text_.push_back('\\');
            text_.push_back(c);
        }
        text_.push_back('"');
    }
    std::string finish() {
        text_.push_back('}');
        return std::move(text_);
    }

  private:
    void separate() {
        if (text_.size() > 1)
            text_.push_back(',');
    }
    std::string text_;
};

std::string textArray(const std::vector<std::string>& values) {
    ArrayLiteral a;
    for (const auto& v : values)
        a.addText(v);
    return a.finish();
}

int64_t toBigint(uint64_t v) {
    // bigint holds 2^63 - 1 octets (8 EiB): a counter above that is a corrupt packet.
    return static_cast<int64_t>(std::min<uint64_t>(v, INT64_MAX));
}

// --- collapsing a batch --------------------------------------------------------------------

struct SessionRow {
    const AccountingRecord* identity = nullptr;  // the latest record: names, ports
    int64_t start_time = 0;  // the Start's event time, else the earliest derived start
    bool has_start = false;
    bool start_only = true;   // only Start records: changes nothing on an existing session
    int64_t update_time = 0;  // latest non-Start event time
    std::optional<int64_t> stop_time;
    std::string terminate_cause;
    uint64_t session_time = 0;
    uint64_t input_octets = 0;
    uint64_t output_octets = 0;
    std::optional<uint32_t> framed_ip;
    const std::vector<std::string>* tags = nullptr;
    int64_t subscriber_id = 0;
    bool is_new = false;  // set after statement 1
};

/// A record whose counters moved the session's running maximum.
struct UsageStep {
    size_t session = 0;
    int64_t event_time = 0;
    uint64_t prev_in = 0, cur_in = 0, prev_out = 0, cur_out = 0;
};

struct Segment {
    std::vector<SessionRow> sessions;
    std::unordered_map<std::string_view, size_t> index;  // unique_id -> sessions[i]
    std::vector<UsageStep> usage;
    uint64_t dropped = 0;  // records that change nothing whatever the database holds

    void add(const AccountingRecord& r) {
        std::string_view key = r.unique_id.empty() ? std::string_view(r.session_id) : r.unique_id;
        if (key.empty()) {
            ++dropped;
            return;
        }
        auto [it, inserted] = index.try_emplace(key, sessions.size());
        if (inserted)
            sessions.emplace_back();
        size_t i = it->second;
        SessionRow& s = sessions[i];
        if (s.stop_time) {  // after the session's Stop: a late packet
            ++dropped;
            return;
        }
        int64_t derived_start = r.status == AcctStatus::kStart
                                    ? r.event_time
                                    : r.event_time - static_cast<int64_t>(r.session_time);
        if (inserted) {
            s.start_time = derived_start;
        } else if (r.status == AcctStatus::kStart) {
            s.start_time = s.has_start ? std::min(s.start_time, derived_start) : derived_start;
        } else if (!s.has_start) {
            s.start_time = std::min(s.start_time, derived_start);
        }
        s.has_start = s.has_start || r.status == AcctStatus::kStart;
        s.identity = &r;
        if (r.subscriber_id != 0)
            s.subscriber_id = r.subscriber_id;
        if (r.framed_ip)
            s.framed_ip = r.framed_ip;
        if (!r.tags.empty() || s.tags == nullptr)
            s.tags = &r.tags;
        uint64_t prev_in = s.input_octets;
        uint64_t prev_out = s.output_octets;
        s.input_octets = std::max(s.input_octets, r.input_octets);
        s.output_octets = std::max(s.output_octets, r.output_octets);
        if (s.input_octets != prev_in || s.output_octets != prev_out)
            usage.push_back(
                UsageStep{i, r.event_time, prev_in, s.input_octets, prev_out, s.output_octets});
        if (r.status == AcctStatus::kStart) {
            if (s.start_only)
                s.update_time = std::max(s.update_time, r.event_time);
            return;
        }
        if (s.start_only)
            s.update_time = r.event_time;
        s.start_only = false;
        s.update_time = std::max(s.update_time, r.event_time);
        s.session_time = std::max<uint64_t>(s.session_time, r.session_time);
        if (r.status == AcctStatus::kStop) {
            s.stop_time = r.event_time;
            s.terminate_cause = r.terminate_cause;
        }
    }

    void clear() {
        sessions.clear();
        index.clear();
        usage.clear();
        dropped = 0;
    }
};

// --- statements ----------------------------------------------------------------------------

// Statement 1: sessions not in acct_sessions yet. The NOT EXISTS spares a sequence value per
// known session; ON CONFLICT still settles a race with another writer (the loser treats the
// session as known, and statement 2, a new statement, sees the winner's committed row).
// OFFSET 0 keeps the NOT EXISTS one index probe per session: flattened into an anti join, the
// generic plan made while acct_sessions was empty hashed a sequential scan of the whole table
// for every batch, a cost that grew with the table.
constexpr const char* kInsertNew = R"SQL(
WITH s AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[],
                         $6::inet[], $7::text[], $8::text[], $9::inet[], $10::text[],
                         $11::text[], $12::bigint[], $13::bigint[], $14::bigint[],
                         $15::bigint[], $16::bigint[], $17::bigint[], $18::text[], $19::text[])
        WITH ORDINALITY
        AS s(uid, sid, username, subscriber_id, nas_id, nas_ip, port_id, port_type, framed,
             calling, called, start_t, upd_t, stop_t, stime, in_o, out_o, cause, tags, idx)
), k AS (
    INSERT INTO acct_sessions (acctuniqueid, radacctid, acctstarttime)
    SELECT s.uid, nextval('radacct_radacctid_seq'), to_timestamp(s.start_t) FROM s
    WHERE NOT EXISTS (SELECT 1 FROM acct_sessions a WHERE a.acctuniqueid = s.uid OFFSET 0)
    ON CONFLICT (acctuniqueid) DO NOTHING
    RETURNING acctuniqueid, radacctid, acctstarttime
), r AS (
    INSERT INTO radacct (radacctid, acctsessionid, acctuniqueid, username, subscriber_id, nas_id,
                         nasipaddress, nasportid, nasporttype, framedipaddress, callingstationid,
                         calledstationid, acctstarttime, acctupdatetime, acctstoptime,
                         acctsessiontime, acctinputoctets, acctoutputoctets, acctterminatecause,
                         tags)
    SELECT k.radacctid, s.sid, s.uid, s.username, NULLIF(s.subscriber_id, 0), NULLIF(s.nas_id, 0),
           s.nas_ip, NULLIF(s.port_id, ''), NULLIF(s.port_type, ''), s.framed,
           NULLIF(s.calling, ''), NULLIF(s.called, ''), k.acctstarttime,
           GREATEST(k.acctstarttime, to_timestamp(s.upd_t)), to_timestamp(s.stop_t), s.stime,
           s.in_o, s.out_o,
           CASE WHEN s.stop_t IS NOT NULL THEN NULLIF(s.cause, '') END, s.tags::text[]
    FROM s JOIN k ON k.acctuniqueid = s.uid
    RETURNING acctuniqueid
)
SELECT s.idx FROM r JOIN s ON s.uid = r.acctuniqueid
)SQL";

// Statement 2: known sessions still open move forward (locked first, so the delta is taken
// against the row as it is, not as an older snapshot saw it); usage deltas of new and
// updated sessions; pool addresses of sessions closed here, unless another open session
// still uses that address (a reconnect whose Start came before the old session's Stop).
//
// A session Gatehouse closed on its own guess (terminate cause Stale-Session from the stale
// sweep, NAS-Reconcile from the MikroTik reconciler: core/jobs/mikrotik_sync.cpp) is taken as open
// again by an Interim or Stop whose event time is after the recorded stop: the NAS never ended it.
// An Interim reopens it, a Stop closes it with the real time and cause; either way the row is
// tagged 'reopened' and the counters move on from where the auto-close left them, so the usage in
// between is counted once. A reopened row was not open before, so it subtracts nothing from the
// open sessions (kind 4) and releases nothing (its address was released when we closed it); an
// Interim takes its pool address back if the address is still free, and reports a conflict (kind 6)
// if someone else holds it now. A NAS-Reboot or a Stop the NAS sent is the NAS's own word: such a
// row stays closed.
constexpr const char* kUpdateExisting = R"SQL(
WITH s AS (
    SELECT * FROM unnest($1::text[], $2::bool[], $3::bool[], $4::bigint[], $5::bigint[],
                         $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::text[],
                         $11::inet[], $12::text[])
        WITH ORDINALITY
        AS s(uid, is_new, start_only, subscriber_id, upd_t, stop_t, stime, in_o, out_o, cause,
             framed, tags, idx)
), old AS (
    -- One index lookup per session, whatever the statistics say: the row-lock clause keeps
    -- the planner from flattening the subquery into a hash join over every open session.
    -- "Open" is written as a CASE so that no partial index (WHERE acctstoptime IS NULL)
    -- matches: planned while a partition looked empty, a full scan of one of them per
    -- session looked as cheap as the primary key probe, and stays in a cached plan. The
    -- reopen test is a second branch of that CASE, on the row the probe found.
    SELECT s.*, x.*
    FROM s
    CROSS JOIN LATERAL (
        SELECT r.radacctid, r.acctstarttime AS start_ts, r.subscriber_id AS old_subscriber,
               r.acctinputoctets AS o_in, r.acctoutputoctets AS o_out,
               r.acctstoptime IS NULL AS was_open
        FROM acct_sessions k
        JOIN radacct r ON r.radacctid = k.radacctid AND r.acctstarttime = k.acctstarttime
        WHERE k.acctuniqueid = s.uid
          AND CASE WHEN r.acctstoptime IS NULL THEN true
                   WHEN r.acctterminatecause IN ('Stale-Session', 'NAS-Reconcile')
                        AND to_timestamp(s.upd_t) > r.acctstoptime THEN true END
        FOR UPDATE OF r
    ) x
    WHERE NOT s.is_new AND NOT s.start_only
), upd AS (
    UPDATE radacct r SET
        acctupdatetime = GREATEST(r.acctupdatetime, to_timestamp(o.upd_t)),
        acctstoptime = to_timestamp(o.stop_t),
        acctsessiontime = GREATEST(r.acctsessiontime, o.stime),
        acctinputoctets = GREATEST(r.acctinputoctets, o.in_o),
        acctoutputoctets = GREATEST(r.acctoutputoctets, o.out_o),
        acctterminatecause = CASE WHEN o.stop_t IS NOT NULL THEN NULLIF(o.cause, '') END,
        framedipaddress = COALESCE(o.framed, r.framedipaddress),
        subscriber_id = COALESCE(r.subscriber_id, NULLIF(o.subscriber_id, 0)),
        -- A record's tags replace the row's, but 'reopened' stays once given.
        tags = CASE WHEN o.was_open AND NOT 'reopened' = ANY (r.tags)
                    THEN CASE WHEN cardinality(o.tags::text[]) > 0 THEN o.tags::text[]
                              ELSE r.tags END
                    ELSE array_append(array_remove(
                             CASE WHEN cardinality(o.tags::text[]) > 0 THEN o.tags::text[]
                                  ELSE r.tags END, 'reopened'), 'reopened') END
    FROM old o
    WHERE r.radacctid = o.radacctid AND r.acctstarttime = o.start_ts
      AND (NOT o.was_open OR o.stop_t IS NOT NULL OR to_timestamp(o.upd_t) > r.acctupdatetime
           OR o.stime > r.acctsessiontime OR o.in_o > r.acctinputoctets
           OR o.out_o > r.acctoutputoctets
           OR (o.framed IS NOT NULL AND o.framed IS DISTINCT FROM r.framedipaddress))
    RETURNING r.radacctid, r.subscriber_id, r.framedipaddress, r.acctstoptime IS NOT NULL AS closed,
              o.old_subscriber, o.was_open, o.idx
), base AS (
    SELECT idx, COALESCE(NULLIF(subscriber_id, 0), old_subscriber) AS sub, o_in, o_out FROM old
    UNION ALL
    SELECT idx, NULLIF(subscriber_id, 0), 0, 0 FROM s WHERE is_new
), steps AS (
    SELECT b.sub, (to_timestamp(u.ev) AT TIME ZONE $19)::date AS day,
           GREATEST(b.o_in, u.cur_in) - GREATEST(b.o_in, u.prev_in) AS up,
           GREATEST(b.o_out, u.cur_out) - GREATEST(b.o_out, u.prev_out) AS down
    FROM unnest($13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[],
                $18::bigint[]) AS u(idx, ev, prev_in, cur_in, prev_out, cur_out)
    JOIN base b ON b.idx = u.idx
    WHERE b.sub IS NOT NULL
), per_day AS (
    -- Saturating at 2^63 - 1 (8 EiB): only a corrupt counter gets there, and an overflow
    -- error would fail this batch and every spool replay of it, for ever.
    -- A deleted subscriber has no counters (and no tier). OFFSET 0 keeps the lookup one index
    -- probe per row: joined plainly, the planner hashes the whole subscribers table.
    SELECT g.sub, g.day, g.up, g.down, x.current_tier AS tier
    FROM (SELECT st.sub, st.day, LEAST(sum(st.up), 9223372036854775807)::bigint AS up,
                 LEAST(sum(st.down), 9223372036854775807)::bigint AS down
          FROM steps st
          GROUP BY st.sub, st.day
          HAVING sum(st.up) > 0 OR sum(st.down) > 0) g
    CROSS JOIN LATERAL (SELECT x.current_tier FROM subscribers x WHERE x.id = g.sub OFFSET 0) x
), daily AS (
    INSERT INTO subscriber_usage_daily AS t (subscriber_id, day, upload, download)
    SELECT sub, day, up, down FROM per_day
    ON CONFLICT (subscriber_id, day)
    DO UPDATE SET upload = t.upload + LEAST(EXCLUDED.upload, 9223372036854775807 - t.upload),
                  download = t.download + LEAST(EXCLUDED.download, 9223372036854775807 - t.download)
    RETURNING t.subscriber_id, t.day, t.upload, t.download
), monthly AS (
    INSERT INTO subscriber_usage_monthly AS t (subscriber_id, month, upload, download)
    SELECT sub, date_trunc('month', day)::date, LEAST(sum(up), 9223372036854775807),
           LEAST(sum(down), 9223372036854775807) FROM per_day
    GROUP BY sub, date_trunc('month', day)::date
    ON CONFLICT (subscriber_id, month)
    DO UPDATE SET upload = t.upload + LEAST(EXCLUDED.upload, 9223372036854775807 - t.upload),
                  download = t.download + LEAST(EXCLUDED.download, 9223372036854775807 - t.download)
    RETURNING t.subscriber_id, t.month, t.upload, t.download
), ended AS (
    SELECT radacctid, subscriber_id, framedipaddress FROM upd WHERE closed AND was_open
    UNION ALL
    SELECT NULL, NULLIF(subscriber_id, 0), framed FROM s WHERE is_new AND stop_t IS NOT NULL
), back AS (
    -- Reopened by an Interim, with an address: the pool rows of those addresses as they are.
    -- holds_other: the subscriber holds another address of that pool (one per pool, the
    -- ip_pool_one_per_subscriber index); first: this batch's first claimant of the address.
    SELECT u.idx, u.subscriber_id AS sub, u.framedipaddress AS ip, p.id, p.status,
           p.subscriber_id AS holder,
           EXISTS (SELECT 1 FROM ip_pool_assignments q
                   WHERE q.pool_name = p.pool_name AND q.subscriber_id = u.subscriber_id
                     AND q.id <> p.id) AS holds_other,
           u.idx = min(u.idx) OVER (PARTITION BY p.id) AS first
    FROM upd u
    JOIN ip_pool_assignments p ON p.ip = u.framedipaddress
    WHERE NOT u.was_open AND NOT u.closed AND u.framedipaddress IS NOT NULL
), rel AS (
    UPDATE ip_pool_assignments p
    SET status = 'available', subscriber_id = NULL, assigned_at = NULL, updated_at = now()
    FROM ended c
    WHERE p.subscriber_id = c.subscriber_id AND p.ip = c.framedipaddress AND p.status = 'in_use'
      AND NOT EXISTS (SELECT 1 FROM radacct o
                      WHERE o.acctstoptime IS NULL AND o.framedipaddress = c.framedipaddress
                        AND o.radacctid NOT IN (SELECT radacctid FROM upd WHERE closed))
      AND c.framedipaddress NOT IN (SELECT ip FROM back)
    RETURNING p.id
), claim AS (
    -- The status is re-checked on the row as it is now (a claim may have taken it since the
    -- snapshot); as a CASE, so that the free-address partial index (ip_pool_free) never looks
    -- like a better path than the primary key.
    UPDATE ip_pool_assignments p
    SET status = 'in_use', subscriber_id = b.sub, assigned_at = now(), updated_at = now()
    FROM back b
    WHERE p.id = b.id AND b.first AND b.status = 'available' AND NOT b.holds_other
      AND CASE WHEN p.status = 'available' THEN true END
    RETURNING p.id
), today AS (
    SELECT (to_timestamp($20) AT TIME ZONE $19)::date AS day
)
-- (kind, subscriber, a, b, c): 0 the counts (updated, closed, addresses released); 1 / 2 a
-- subscriber's new totals of today / this month (upload, download); 3 its tier; 4 its change
-- in open sessions (an updated row leaves its old subscriber unless it was closed, and joins
-- its new one unless closed); 5 (sessions reopened, addresses taken back); 6 a reopened
-- session's address left as it is (holder, address, session idx, why: 1 held, 2 reserved,
-- 3 the subscriber holds another address of that pool); 7 a subscriber with a reopened
-- session, whose state the caller reads back.
SELECT 0::bigint, 0::bigint, (SELECT count(*) FROM upd WHERE NOT closed),
       (SELECT count(*) FROM upd WHERE closed), (SELECT count(*) FROM rel)
UNION ALL
SELECT 5, 0, (SELECT count(*) FROM upd WHERE NOT was_open), (SELECT count(*) FROM claim), 0
UNION ALL
SELECT DISTINCT 7, subscriber_id, 0, 0, 0 FROM upd WHERE NOT was_open AND subscriber_id IS NOT NULL
UNION ALL
SELECT 6, b.holder, b.ip - '0.0.0.0'::inet, b.idx,
       CASE WHEN b.status = 'reserved' THEN 2 WHEN b.status = 'available' AND b.holds_other THEN 3
            ELSE 1 END
FROM back b
WHERE b.id NOT IN (SELECT id FROM claim)
  AND NOT (b.status <> 'available' AND b.holder IS NOT DISTINCT FROM b.sub
           AND (b.status = 'in_use' OR b.holder IS NOT NULL))
UNION ALL
SELECT 1, d.subscriber_id, d.upload, d.download, 0 FROM daily d, today WHERE d.day = today.day
UNION ALL
SELECT 2, m.subscriber_id, m.upload, m.download, 0 FROM monthly m, today
WHERE m.month = date_trunc('month', today.day)::date
UNION ALL
SELECT 3, sub, min(tier), 0, 0 FROM per_day GROUP BY sub
UNION ALL
SELECT 4, moved.sub, sum(moved.d), 0, 0
FROM (SELECT old_subscriber AS sub, -1 AS d FROM upd WHERE was_open AND old_subscriber IS NOT NULL
      UNION ALL
      SELECT subscriber_id, 1 FROM upd WHERE NOT closed AND subscriber_id IS NOT NULL) moved
GROUP BY moved.sub HAVING sum(moved.d) <> 0
)SQL";

// Accounting-On/Off (RFC 2866 5.1): the NAS lost its sessions. A session that started after
// the event belongs to the NAS's new life and stays open.
constexpr const char* kCloseNas = R"SQL(
WITH c AS (
    UPDATE radacct r SET
        acctstoptime = to_timestamp($2), acctterminatecause = 'NAS-Reboot',
        acctupdatetime = GREATEST(r.acctupdatetime, to_timestamp($2)),
        acctsessiontime = GREATEST(r.acctsessiontime,
                                   floor(extract(epoch FROM to_timestamp($2) - r.acctstarttime))::bigint)
    WHERE r.nasipaddress = $1::inet AND r.acctstoptime IS NULL
      AND r.acctstarttime <= to_timestamp($2)
    RETURNING r.radacctid, r.subscriber_id, r.framedipaddress
)RELEASE)SQL";

// Stale sessions (no update for longer than the bound): closed at their last update.
constexpr const char* kCloseStale = R"SQL(
WITH c AS (
    UPDATE radacct r SET acctstoptime = r.acctupdatetime, acctterminatecause = 'Stale-Session'
    WHERE r.acctstoptime IS NULL AND r.acctupdatetime < to_timestamp($1)
    RETURNING r.radacctid, r.subscriber_id, r.framedipaddress
)RELEASE)SQL";

// The tail shared by kCloseNas and kCloseStale: release the pool addresses of the closed
// sessions, then report (sessions closed, addresses released, the closed sessions'
// subscribers as "1,2,2,3": once per session, so the caller can count them).
constexpr const char* kReleaseTail = R"SQL(, rel AS (
    UPDATE ip_pool_assignments p
    SET status = 'available', subscriber_id = NULL, assigned_at = NULL, updated_at = now()
    FROM c
    WHERE p.subscriber_id = c.subscriber_id AND p.ip = c.framedipaddress AND p.status = 'in_use'
      AND NOT EXISTS (SELECT 1 FROM radacct o
                      WHERE o.acctstoptime IS NULL AND o.framedipaddress = c.framedipaddress
                        AND o.radacctid NOT IN (SELECT radacctid FROM c))
    RETURNING p.id
)
SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM rel),
       (SELECT COALESCE(string_agg(subscriber_id::text, ','), '') FROM c))SQL";

std::string withReleaseTail(const char* head) {
    std::string sql(head);
    sql.replace(sql.find("RELEASE"), 7, kReleaseTail);
    return sql;
}

// Usage of today and this month in the ISP's zone, open sessions and tier, per subscriber.
constexpr const char* kLiveStateColumns = R"SQL(
    SELECT i.id, COALESCE(x.current_tier, 0),
           COALESCE(d.upload, 0), COALESCE(d.download, 0),
           COALESCE(m.upload, 0), COALESCE(m.download, 0),
           (SELECT count(*) FROM radacct r WHERE r.subscriber_id = i.id AND r.acctstoptime IS NULL)
    FROM ids i
    CROSS JOIN t
    LEFT JOIN subscribers x ON x.id = i.id
    LEFT JOIN subscriber_usage_daily d ON d.subscriber_id = i.id AND d.day = t.local::date
    LEFT JOIN subscriber_usage_monthly m
           ON m.subscriber_id = i.id AND m.month = date_trunc('month', t.local)::date
    ORDER BY i.id
)SQL";

constexpr const char* kTouchedIds = R"SQL(
WITH t AS (SELECT to_timestamp($2) AT TIME ZONE $3 AS local),
     ids AS (SELECT DISTINCT id FROM unnest($1::bigint[]) AS u(id))
)SQL";

constexpr const char* kAllLiveIds = R"SQL(
WITH t AS (SELECT to_timestamp($1) AT TIME ZONE $2 AS local),
     ids AS (SELECT subscriber_id AS id FROM radacct
             WHERE acctstoptime IS NULL AND subscriber_id IS NOT NULL
             UNION
             SELECT subscriber_id FROM subscriber_usage_monthly, t
             WHERE month = date_trunc('month', t.local)::date
             UNION
             SELECT id FROM subscribers WHERE current_tier <> 0)
)SQL";

/// Runs one of this file's statements as a prepared statement: they are planned once per
/// connection instead of once per batch. libpqxx 6 prepares lazily on first use and treats an
/// identical redefinition as a no-op, so defining it again on every call is free.
template <class... Args>
pqxx::result run(pqxx::work& txn, const char* name, const std::string& sql, Args&&... args) {
#if PQXX_VERSION_MAJOR < 7
    txn.conn().prepare(name, sql);
    return txn.exec_prepared(name, std::forward<Args>(args)...);
#else
    (void)name;
    return txn.exec_params(sql, std::forward<Args>(args)...);
#endif
}

std::vector<SubscriberLiveState> readLiveState(const pqxx::result& rows) {
    std::vector<SubscriberLiveState> out;
    out.reserve(rows.size());
    for (const auto& row : rows) {
        SubscriberLiveState s;
        s.subscriber_id = row[0].as<int64_t>();
        s.current_tier = row[1].as<int>();
        s.usage.daily_upload = row[2].as<uint64_t>();
        s.usage.daily_download = row[3].as<uint64_t>();
        s.usage.monthly_upload = row[4].as<uint64_t>();
        s.usage.monthly_download = row[5].as<uint64_t>();
        s.open_sessions = row[6].as<uint32_t>();
        out.push_back(s);
    }
    return out;
}

/// What the batch did to one subscriber, as the statements report it.
struct Touch {
    int64_t open_delta = 0;  // sessions opened - sessions closed
    // A session of this subscriber was reopened. The caller's state may still count it as
    // open: the MikroTik reconciler closes sessions in another process, which the caller
    // learns of only at its next full load. So the delta alone could count it twice; the
    // subscriber is read back instead (a rare event, one more query).
    bool read_back = false;
    std::optional<int> tier;
    std::optional<std::pair<uint64_t, uint64_t>> daily, monthly;  // new totals (up, down)
};
using Touches = std::unordered_map<int64_t, Touch>;

/// "1,2,2,3": one closed session per entry.
void subtractClosed(std::string_view list, Touches& touches) {
    size_t pos = 0;
    while (pos < list.size()) {
        size_t end = list.find(',', pos);
        if (end == std::string_view::npos)
            end = list.size();
        int64_t id = 0;
        for (char c : list.substr(pos, end - pos))
            id = id * 10 + (c - '0');
        --touches[id].open_delta;
        pos = end + 1;
    }
}

std::string_view keyOf(const SessionRow& s) {
    const AccountingRecord& r = *s.identity;
    return r.unique_id.empty() ? std::string_view(r.session_id) : std::string_view(r.unique_id);
}

void applySegment(pqxx::work& txn, Segment& seg, std::string_view timezone, int64_t newest,
                  const KnownSessions* known_sessions, ApplyResult& result, Touches& touches) {
    result.ignored += seg.dropped;
    if (seg.sessions.empty())
        return;
    // Statement 1 for the sessions not known to exist (often none: a batch of Interims).
    std::vector<size_t> candidates;
    candidates.reserve(seg.sessions.size());
    for (size_t i = 0; i < seg.sessions.size(); ++i) {
        result.session_keys.emplace_back(keyOf(seg.sessions[i]));
        if (known_sessions == nullptr || !known_sessions->contains(keyOf(seg.sessions[i])))
            candidates.push_back(i);
    }
    if (!candidates.empty()) {
        ArrayLiteral uid, sid, username, subscriber, nas, nas_ip, port_id, port_type, framed,
            calling, called, start_t, upd_t, stop_t, stime, in_o, out_o, cause, tags;
        for (size_t i : candidates) {
            const SessionRow& s = seg.sessions[i];
            const AccountingRecord& r = *s.identity;
            uid.addText(keyOf(s));
            sid.addText(r.session_id);
            username.addText(r.username);
            subscriber.addInt(s.subscriber_id);
            nas.addInt(r.nas_id);
            nas_ip.addIp(r.nas_ip);
            port_id.addText(r.nas_port_id);
            port_type.addText(r.nas_port_type);
            framed.addOptionalIp(s.framed_ip);
            calling.addText(r.calling_station_id);
            called.addText(r.called_station_id);
            start_t.addInt(s.start_time);
            upd_t.addInt(s.update_time);
            stop_t.addOptionalInt(s.stop_time);
            stime.addInt(toBigint(s.session_time));
            in_o.addInt(toBigint(s.input_octets));
            out_o.addInt(toBigint(s.output_octets));
            cause.addText(s.terminate_cause);
            tags.addText(textArray(*s.tags));
        }
        auto created =
            run(txn, "gh_acct_insert_new", kInsertNew, uid.finish(), sid.finish(),
                username.finish(), subscriber.finish(), nas.finish(), nas_ip.finish(),
                port_id.finish(), port_type.finish(), framed.finish(), calling.finish(),
                called.finish(), start_t.finish(), upd_t.finish(), stop_t.finish(), stime.finish(),
                in_o.finish(), out_o.finish(), cause.finish(), tags.finish());
        for (const auto& row : created) {
            // ORDINALITY counts from 1, over the candidates
            SessionRow& s = seg.sessions.at(candidates.at(row[0].as<size_t>() - 1));
            s.is_new = true;
            ++result.opened;
            if (s.stop_time)
                ++result.closed;
            else if (s.subscriber_id != 0)
                ++touches[s.subscriber_id].open_delta;
        }
    }
    ArrayLiteral uid, is_new, start_only, subscriber, upd_t, stop_t, stime, in_o, out_o, cause,
        framed, tags;
    uint64_t known = 0;
    for (const auto& s : seg.sessions) {
        uid.addText(keyOf(s));
        is_new.addBool(s.is_new);
        start_only.addBool(s.start_only);
        subscriber.addInt(s.subscriber_id);
        upd_t.addInt(s.update_time);
        stop_t.addOptionalInt(s.stop_time);
        stime.addInt(toBigint(s.session_time));
        in_o.addInt(toBigint(s.input_octets));
        out_o.addInt(toBigint(s.output_octets));
        cause.addText(s.terminate_cause);
        framed.addOptionalIp(s.framed_ip);
        tags.addText(textArray(*s.tags));
        if (!s.is_new)
            ++known;
    }
    ArrayLiteral u_idx, u_ev, u_prev_in, u_cur_in, u_prev_out, u_cur_out;
    for (const auto& u : seg.usage) {
        u_idx.addInt(static_cast<int64_t>(u.session) + 1);  // WITH ORDINALITY counts from 1
        u_ev.addInt(u.event_time);
        u_prev_in.addInt(toBigint(u.prev_in));
        u_cur_in.addInt(toBigint(u.cur_in));
        u_prev_out.addInt(toBigint(u.prev_out));
        u_cur_out.addInt(toBigint(u.cur_out));
    }
    auto rows =
        run(txn, "gh_acct_update_known", kUpdateExisting, uid.finish(), is_new.finish(),
            start_only.finish(), subscriber.finish(), upd_t.finish(), stop_t.finish(),
            stime.finish(), in_o.finish(), out_o.finish(), cause.finish(), framed.finish(),
            tags.finish(), u_idx.finish(), u_ev.finish(), u_prev_in.finish(), u_cur_in.finish(),
            u_prev_out.finish(), u_cur_out.finish(), std::string(timezone), newest);
    for (const auto& row : rows) {
        const auto kind = row[0].as<int>();
        if (kind == 0) {
            auto updated = row[2].as<uint64_t>();
            auto closed = row[3].as<uint64_t>();
            result.updated += updated;
            result.closed += closed;
            result.ignored += known - updated - closed;
            continue;
        }
        if (kind == 5) {
            result.reopened += row[2].as<uint64_t>();
            result.addresses_reclaimed += row[3].as<uint64_t>();
            continue;
        }
        if (kind == 7) {
            touches[row[1].as<int64_t>()].read_back = true;
            continue;
        }
        if (kind == 6) {
            const AccountingRecord& r = *seg.sessions.at(row[3].as<size_t>() - 1).identity;
            ReopenConflict c;
            c.ip = static_cast<uint32_t>(row[2].as<int64_t>());
            c.session_id = r.session_id;
            c.unique_id = r.unique_id;
            c.username = r.username;
            c.holder = row[1].is_null() ? 0 : row[1].as<int64_t>();
            c.why = static_cast<ReopenConflict::Why>(row[4].as<int>());
            result.reopen_conflicts.push_back(std::move(c));
            continue;
        }
        Touch& t = touches[row[1].as<int64_t>()];
        if (kind == 1)
            t.daily.emplace(row[2].as<uint64_t>(), row[3].as<uint64_t>());
        else if (kind == 2)
            t.monthly.emplace(row[2].as<uint64_t>(), row[3].as<uint64_t>());
        else if (kind == 3)
            t.tier = row[2].as<int>();
        else
            t.open_delta += row[2].as<int64_t>();
    }
}

}  // namespace

ApplyResult AccountingRepository::apply(pqxx::work& txn, std::span<const AccountingRecord> records,
                                        std::string_view timezone, const KnownLiveState& known,
                                        const KnownSessions* sessions) {
    ApplyResult result;
    if (records.empty())
        return result;
    // "Today" for the usage totals is the day of the batch's newest event.
    int64_t newest = 0;
    for (const auto& r : records)
        newest = std::max(newest, r.event_time);
    Touches touches;
    Segment seg;
    seg.sessions.reserve(records.size());
    seg.index.reserve(records.size());
    for (const auto& r : records) {
        if (r.subscriber_id != 0)
            touches.try_emplace(r.subscriber_id);
        if (r.status != AcctStatus::kAccountingOn && r.status != AcctStatus::kAccountingOff) {
            seg.add(r);
            continue;
        }
        // The NAS restarted: apply what came before it, then close that NAS's sessions.
        applySegment(txn, seg, timezone, newest, sessions, result, touches);
        seg.clear();
        auto closed = run(txn, "gh_acct_close_nas", withReleaseTail(kCloseNas),
                          formatIpv4(r.nas_ip), r.event_time);
        result.closed += closed[0][0].as<uint64_t>();
        subtractClosed(closed[0][2].c_str(), touches);
    }
    applySegment(txn, seg, timezone, newest, sessions, result, touches);

    ArrayLiteral unknown;
    bool any_unknown = false;
    result.touched.reserve(touches.size());
    for (const auto& [id, t] : touches) {
        std::optional<SubscriberLiveState> before =
            known && !t.read_back ? known(id) : std::nullopt;
        if (!before) {
            unknown.addInt(id);
            any_unknown = true;
            continue;
        }
        SubscriberLiveState s = *before;
        s.subscriber_id = id;
        s.open_sessions = static_cast<uint32_t>(
            std::max<int64_t>(0, static_cast<int64_t>(s.open_sessions) + t.open_delta));
        if (t.daily) {
            s.usage.daily_upload = t.daily->first;
            s.usage.daily_download = t.daily->second;
        }
        if (t.monthly) {
            s.usage.monthly_upload = t.monthly->first;
            s.usage.monthly_download = t.monthly->second;
        }
        if (t.tier)
            s.current_tier = *t.tier;
        result.touched.push_back(s);
    }
    if (any_unknown) {
        auto read =
            readLiveState(run(txn, "gh_acct_touched", std::string(kTouchedIds) + kLiveStateColumns,
                              unknown.finish(), newest, std::string(timezone)));
        result.touched.insert(result.touched.end(), read.begin(), read.end());
    }
    std::sort(result.touched.begin(), result.touched.end(),
              [](const SubscriberLiveState& a, const SubscriberLiveState& b) {
                  return a.subscriber_id < b.subscriber_id;
              });
    return result;
}

bool AccountingRepository::spoolBatchApplied(pqxx::work& txn, std::string_view spool_id,
                                             uint64_t seq) {
    return !txn.exec_params(
                   "SELECT 1 FROM accounting_spool_applied WHERE spool_id = $1 AND seq = $2",
                   std::string(spool_id), static_cast<int64_t>(seq))
                .empty();
}

void AccountingRepository::markSpoolBatchApplied(pqxx::work& txn, std::string_view spool_id,
                                                 uint64_t seq) {
    txn.exec_params(
        "INSERT INTO accounting_spool_applied (spool_id, seq) VALUES ($1, $2)"
        " ON CONFLICT (spool_id, seq) DO NOTHING",
        std::string(spool_id), static_cast<int64_t>(seq));
}

void AccountingRepository::recordTierChange(pqxx::work& txn, int64_t subscriber_id, int from_tier,
                                            int to_tier, std::string_view reason) {
    txn.exec_params(
        "WITH job AS (INSERT INTO tier_change_jobs (subscriber_id, from_tier, to_tier, reason)"
        " VALUES ($1, $2, $3, $4))"
        " UPDATE subscribers SET current_tier = $3 WHERE id = $1",
        subscriber_id, from_tier, to_tier, cleanText(reason));
}

StaleResult AccountingRepository::closeStaleSessions(pqxx::work& txn, int64_t bound_s,
                                                     int64_t now_unix) {
    auto row = txn.exec_params1(withReleaseTail(kCloseStale), now_unix - bound_s);
    StaleResult result;
    result.closed = row[0].as<uint64_t>();
    result.addresses_released = row[1].as<uint64_t>();
    return result;
}

int64_t AccountingRepository::autoStaleBound(pqxx::work& txn) {
    auto r = txn.exec(
        "SELECT CASE WHEN value ~ '^[0-9]{1,9}$' THEN value::bigint END FROM settings"
        " WHERE key = 'interim_interval'");
    int64_t interim = 300;
    if (!r.empty() && !r[0][0].is_null())
        interim = std::clamp<int64_t>(r[0][0].as<int64_t>(), 60, 900);
    return interim + 120;
}

int64_t AccountingRepository::staleBound(pqxx::work& txn, int64_t configured_s) {
    auto r = txn.exec("SELECT value FROM settings WHERE key = 'stale_session_minutes'");
    if (!r.empty()) {
        const std::string value = r[0][0].as<std::string>();
        if (value == "auto")
            return autoStaleBound(txn);
        // Written by the API in decimal (core/api/routes/settings.cpp); anything else is a hand
        // edit the sweep ignores in favour of the configuration file.
        if (!value.empty() && value.size() <= 6 &&
            value.find_first_not_of("0123456789") == std::string::npos)
            return std::stoll(value) * 60;
    }
    return configured_s < 0 ? autoStaleBound(txn) : configured_s;
}

std::vector<SubscriberLiveState> AccountingRepository::loadLiveState(pqxx::work& txn,
                                                                     std::string_view timezone,
                                                                     int64_t now_unix) {
    return readLiveState(txn.exec_params(std::string(kAllLiveIds) + kLiveStateColumns, now_unix,
                                         std::string(timezone)));
}

}  // namespace gatehouse::store
