-- Accounts, organizations, sessions, targets and checks.
-- Timestamps are RFC 3339 text in UTC (they sort as text); ids are UUID blobs.

CREATE TABLE users (
    id            BLOB PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE organizations (
    id         BLOB PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE memberships (
    user_id         BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at      TEXT NOT NULL,
    PRIMARY KEY (user_id, organization_id)
);
CREATE INDEX memberships_organization ON memberships (organization_id);

CREATE TABLE sessions (
    token_hash   BLOB PRIMARY KEY,
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE targets (
    id               BLOB PRIMARY KEY,
    organization_id  BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_by       BLOB REFERENCES users (id) ON DELETE SET NULL,
    url              TEXT NOT NULL,
    name             TEXT,
    interval_seconds INTEGER NOT NULL,
    timeout_seconds  INTEGER NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    -- Scheduling: when the next check is due, and who holds it now.
    next_due_at      TEXT NOT NULL,
    lease_owner      TEXT,
    lease_until      TEXT,
    lease_epoch      INTEGER NOT NULL DEFAULT 0,
    last_check_id    BLOB
);
CREATE INDEX targets_organization ON targets (organization_id, created_at);
CREATE INDEX targets_due ON targets (next_due_at);

CREATE TABLE checks (
    id            BLOB PRIMARY KEY,
    target_id     BLOB NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    checked_at    TEXT NOT NULL,
    status_code   INTEGER,
    latency_ms    INTEGER,
    is_up         BOOLEAN NOT NULL,
    degraded      BOOLEAN NOT NULL DEFAULT FALSE,
    error_class   TEXT,
    error         TEXT,
    dns_ms        INTEGER,
    connect_ms    INTEGER,
    tls_ms        INTEGER,
    first_byte_ms INTEGER
);
CREATE INDEX checks_target_time ON checks (target_id, checked_at DESC);
