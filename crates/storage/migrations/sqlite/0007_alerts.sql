-- Alerts: channels, which targets use them, when to alert, and the outbox
-- of notifications (one row per event and channel) with every attempt.

-- Where an organization's alerts go. `config` is the public part of the
-- channel's settings (JSON); `secret` the rest (tokens, passwords, URLs
-- that embed a key), sealed with a key derived from the instance's secret
-- (XChaCha20-Poly1305, see crates/app/src/sealing.rs): never stored in clear.
CREATE TABLE channels (
    id              BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('email', 'webhook', 'slack', 'discord', 'teams', 'google_chat', 'mattermost', 'telegram',
                        'pushover', 'gotify', 'ntfy', 'matrix', 'pagerduty', 'opsgenie')),
    name            TEXT NOT NULL,
    config          TEXT NOT NULL,
    secret          BLOB,
    -- Default channels serve the targets that name none.
    is_default      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    -- The channel's own backoff: failed deliveries in a row, and no claim
    -- of its notifications before resume_at, so one dead service never
    -- delays the others.
    failures        INTEGER NOT NULL DEFAULT 0,
    resume_at       TEXT
);
CREATE INDEX channels_organization ON channels (organization_id, created_at);

-- A target's channels (none: the organization's default channels).
CREATE TABLE target_channels (
    target_id  BLOB NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    channel_id BLOB NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    PRIMARY KEY (target_id, channel_id)
);
CREATE INDEX target_channels_channel ON target_channels (channel_id);

-- When to alert: one row of organization defaults (target_id NULL) and one
-- per target with settings of its own.
CREATE TABLE alert_settings (
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    target_id       BLOB REFERENCES targets (id) ON DELETE CASCADE,
    alert_type      TEXT NOT NULL CHECK (alert_type IN ('once', 'repeated', 'none')),
    repeat_minutes  INTEGER CHECK (repeat_minutes BETWEEN 1 AND 1440),
    on_restored     BOOLEAN NOT NULL,
    on_degraded     BOOLEAN NOT NULL,
    include_history BOOLEAN NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX alert_settings_organization ON alert_settings (organization_id) WHERE target_id IS NULL;
CREATE UNIQUE INDEX alert_settings_target ON alert_settings (target_id) WHERE target_id IS NOT NULL;

-- How far each organization's events have been turned into notifications
-- (a table of its own, so the sender never waits on the counter row that
-- check writes lock). Events written before alerts existed are no news.
CREATE TABLE alert_cursors (
    organization_id BLOB PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL
);
INSERT INTO alert_cursors (organization_id, seq) SELECT id, event_seq FROM organizations;

-- The outbox: one row per (event, channel, reminder), so fanning out twice
-- writes nothing twice. Claimed with a lease like a due target.
CREATE TABLE notifications (
    id              BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    channel_id      BLOB NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    event_seq       INTEGER NOT NULL,
    -- 0 for the event itself, 1, 2, 3... for a repeated alert's reminders.
    reminder        INTEGER NOT NULL DEFAULT 0,
    -- No foreign keys: a notification outlives the target it tells of.
    target_id       BLOB NOT NULL,
    incident_id     BLOB,
    kind            TEXT NOT NULL CHECK (kind IN ('down', 'up', 'degraded', 'certificate_expiring', 'summary')),
    -- The event's payload, so a notification needs no event row to be sent.
    payload         TEXT NOT NULL,
    include_history BOOLEAN NOT NULL,
    occurred_at     TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'delivering', 'delivered', 'failed', 'folded')),
    -- A flapping target's changes past a channel's limit are folded:
    -- the summary that tells them has `folded` = their count, and each
    -- folded row names it.
    folded          INTEGER NOT NULL DEFAULT 0,
    folded_into     BLOB,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_owner     TEXT,
    lease_until     TEXT,
    lease_epoch     INTEGER NOT NULL DEFAULT 0,
    delivered_at    TEXT,
    last_status     INTEGER,
    last_error      TEXT,
    UNIQUE (organization_id, event_seq, channel_id, reminder)
);
CREATE INDEX notifications_due ON notifications (next_attempt_at)
    WHERE status = 'pending' OR status = 'delivering';
CREATE INDEX notifications_target ON notifications (organization_id, target_id, created_at);
CREATE INDEX notifications_incident ON notifications (organization_id, incident_id);
CREATE INDEX notifications_time ON notifications (created_at);
CREATE INDEX notifications_channel_target ON notifications (channel_id, target_id, created_at);

-- Every attempt to deliver a notification.
CREATE TABLE notification_attempts (
    id              BLOB PRIMARY KEY,
    notification_id BLOB NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    attempted_at    TEXT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
    status_code     INTEGER,
    error           TEXT,
    duration_ms     INTEGER NOT NULL
);
CREATE INDEX notification_attempts_notification ON notification_attempts (notification_id, attempted_at);
