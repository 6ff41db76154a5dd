-- fedgate schema: the browser sign-in (audit log, ended sessions).
--
-- Same common subset as the initial schema: TEXT and BIGINT only, Unix seconds.

-- One append-only row per sign-in attempt, role-chooser submission, federation hop, STS call and
-- administrative change. Never holds an assertion or a secret: `detail` is the refusal's message
-- (the saml crate's wording, which names checks and values, never key material).
--
-- Append cost matters (one row per sign-in): no primary key beyond SQLite's rowid and one index,
-- on time (listings are by time; a reference or provider is found within a time range).
CREATE TABLE audit_events (
    reference TEXT NOT NULL,
    -- Unix seconds and a per-row tie-breaker (microseconds), so listings are ordered.
    event_time BIGINT NOT NULL,
    event_micros BIGINT NOT NULL,
    event TEXT NOT NULL,
    outcome TEXT NOT NULL,
    error_code TEXT,
    detail TEXT,
    instance_id TEXT,
    provider_arn TEXT,
    issuer TEXT,
    subject TEXT,
    session_name TEXT,
    role_arn TEXT,
    client TEXT
);

CREATE INDEX audit_events_by_time ON audit_events (event_time, event_micros);

-- Console and agent sessions ended before their expiry (sign-out), by session id, kept until the
-- session would have expired anyway. Any node refuses a cookie whose id is listed here.
CREATE TABLE ended_sessions (
    session_id TEXT PRIMARY KEY NOT NULL,
    expires_at BIGINT NOT NULL
);
