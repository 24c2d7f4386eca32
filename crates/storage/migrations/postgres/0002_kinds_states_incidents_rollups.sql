-- Target kinds with their check settings, truthful status, incidents,
-- heartbeats, and roll-ups that keep history small and fast.

ALTER TABLE targets ADD COLUMN kind TEXT NOT NULL DEFAULT 'http';
-- The check settings as JSON (NULL: a plain GET of `url`).
ALTER TABLE targets ADD COLUMN spec TEXT;
ALTER TABLE targets ADD COLUMN state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'up', 'degraded', 'down'));
ALTER TABLE targets ADD COLUMN state_changed_at TIMESTAMPTZ;
ALTER TABLE targets ADD COLUMN consecutive_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE targets ADD COLUMN paused BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE targets ADD COLUMN heartbeat_token TEXT;
ALTER TABLE targets ADD COLUMN grace_seconds INTEGER;
ALTER TABLE targets ADD COLUMN run_started_at TIMESTAMPTZ;
CREATE UNIQUE INDEX targets_heartbeat_token ON targets (heartbeat_token) WHERE heartbeat_token IS NOT NULL;
DROP INDEX targets_due;
CREATE INDEX targets_due ON targets (next_due_at) WHERE NOT paused;

CREATE TABLE incidents (
    id             UUID PRIMARY KEY,
    target_id      UUID NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    opened_at      TIMESTAMPTZ NOT NULL,
    closed_at      TIMESTAMPTZ,
    cause          TEXT NOT NULL,
    error_class    TEXT,
    first_check_id UUID NOT NULL
);
CREATE INDEX incidents_target ON incidents (target_id, opened_at DESC);

CREATE TABLE state_changes (
    id         UUID PRIMARY KEY,
    target_id  UUID NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    changed_at TIMESTAMPTZ NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    check_id   UUID
);
CREATE INDEX state_changes_target ON state_changes (target_id, changed_at DESC);

-- One row per target per bucket (900 s, 3600 s or 86400 s wide). Latency
-- percentiles are estimated from the 12 fixed bins (see pharos-domain's
-- rollup module for their bounds).
CREATE TABLE check_rollups (
    target_id      UUID NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    bucket_seconds INTEGER NOT NULL,
    bucket_start   TIMESTAMPTZ NOT NULL,
    checks         BIGINT NOT NULL,
    up             BIGINT NOT NULL,
    degraded       BIGINT NOT NULL,
    latency_count  BIGINT NOT NULL,
    latency_sum    BIGINT NOT NULL,
    latency_min    INTEGER,
    latency_max    INTEGER,
    b0 BIGINT NOT NULL, b1 BIGINT NOT NULL, b2 BIGINT NOT NULL, b3 BIGINT NOT NULL,
    b4 BIGINT NOT NULL, b5 BIGINT NOT NULL, b6 BIGINT NOT NULL, b7 BIGINT NOT NULL,
    b8 BIGINT NOT NULL, b9 BIGINT NOT NULL, b10 BIGINT NOT NULL, b11 BIGINT NOT NULL,
    PRIMARY KEY (target_id, bucket_seconds, bucket_start)
);
CREATE INDEX checks_time ON checks (checked_at);
