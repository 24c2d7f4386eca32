-- Accounts, organizations, sessions, targets and checks.

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE organizations (
    id         UUID PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE memberships (
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, organization_id)
);
CREATE INDEX memberships_organization ON memberships (organization_id);

CREATE TABLE sessions (
    token_hash   BYTEA PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE targets (
    id               UUID PRIMARY KEY,
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_by       UUID REFERENCES users (id) ON DELETE SET NULL,
    url              TEXT NOT NULL,
    name             TEXT,
    interval_seconds INTEGER NOT NULL,
    timeout_seconds  INTEGER NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    -- Scheduling: when the next check is due, and who holds it now.
    next_due_at      TIMESTAMPTZ NOT NULL,
    lease_owner      TEXT,
    lease_until      TIMESTAMPTZ,
    lease_epoch      BIGINT NOT NULL DEFAULT 0,
    last_check_id    UUID
);
CREATE INDEX targets_organization ON targets (organization_id, created_at);
CREATE INDEX targets_due ON targets (next_due_at);

CREATE TABLE checks (
    id            UUID PRIMARY KEY,
    target_id     UUID NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    checked_at    TIMESTAMPTZ NOT NULL,
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
