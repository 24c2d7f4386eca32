-- An agent gone offline, and back online, alerts the channels of its
-- targets (issue #15): a new event type (`agent_online`) and two new
-- notification kinds. SQLite cannot change a CHECK in place, so both
-- tables are rebuilt with their rows, keys and indexes. The attempts
-- table refers to the notifications, so it is rebuilt alongside: the old
-- pair is renamed away (the rename carries the reference with it), the new
-- pair created and filled, and the old pair dropped, attempts first, so no
-- cascade ever deletes a row.
CREATE TABLE events_new (
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    event_type      TEXT NOT NULL CHECK (event_type IN ('target_down', 'target_up', 'target_degraded',
                        'incident_opened', 'incident_closed', 'target_paused', 'target_resumed',
                        'certificate_expiring', 'agent_offline', 'agent_online')),
    -- No foreign keys: an event outlives the target or incident it names.
    target_id       BLOB NOT NULL,
    incident_id     BLOB,
    occurred_at     TEXT NOT NULL,
    payload         TEXT NOT NULL,
    PRIMARY KEY (organization_id, seq)
) WITHOUT ROWID;
INSERT INTO events_new (organization_id, seq, event_type, target_id, incident_id, occurred_at, payload)
    SELECT organization_id, seq, event_type, target_id, incident_id, occurred_at, payload FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_time ON events (occurred_at);

ALTER TABLE notifications RENAME TO notifications_old;
ALTER TABLE notification_attempts RENAME TO notification_attempts_old;

CREATE TABLE notifications (
    id              BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    channel_id      BLOB NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    event_seq       INTEGER NOT NULL,
    -- 0 for the event itself, 1, 2, 3... for a repeated alert's reminders.
    reminder        INTEGER NOT NULL DEFAULT 0,
    -- No foreign keys: a notification outlives the target it tells of.
    -- An agent's alert names the first target of its event.
    target_id       BLOB NOT NULL,
    incident_id     BLOB,
    kind            TEXT NOT NULL CHECK (kind IN ('down', 'up', 'degraded', 'certificate_expiring', 'summary',
                        'agent_offline', 'agent_online')),
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
INSERT INTO notifications SELECT * FROM notifications_old;

CREATE TABLE notification_attempts (
    id              BLOB PRIMARY KEY,
    notification_id BLOB NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    attempted_at    TEXT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
    status_code     INTEGER,
    error           TEXT,
    duration_ms     INTEGER NOT NULL
);
INSERT INTO notification_attempts SELECT * FROM notification_attempts_old;

DROP TABLE notification_attempts_old;
DROP TABLE notifications_old;

CREATE INDEX notifications_due ON notifications (next_attempt_at)
    WHERE status = 'pending' OR status = 'delivering';
CREATE INDEX notifications_target ON notifications (organization_id, target_id, created_at);
CREATE INDEX notifications_incident ON notifications (organization_id, incident_id);
CREATE INDEX notifications_time ON notifications (created_at);
CREATE INDEX notifications_channel_target ON notifications (channel_id, target_id, created_at);
CREATE INDEX notification_attempts_notification ON notification_attempts (notification_id, attempted_at);
