-- The six target kinds as a rule the database keeps, and the event log:
-- one row per state change, written in the transaction that makes it.

-- SQLite cannot add a CHECK constraint to an existing table; these
-- triggers keep the same rule (the drift test reads their IN list).
CREATE TRIGGER targets_kind_check_insert BEFORE INSERT ON targets
    WHEN NEW.kind NOT IN ('http', 'tcp', 'ping', 'dns', 'tls', 'heartbeat')
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: targets.kind'); END;
CREATE TRIGGER targets_kind_check_update BEFORE UPDATE OF kind ON targets
    WHEN NEW.kind NOT IN ('http', 'tcp', 'ping', 'dns', 'tls', 'heartbeat')
    BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: targets.kind'); END;

-- The certificate warning window (days) last reported for the target, so
-- each window is reported once; NULL while the certificate is far from expiry.
ALTER TABLE targets ADD COLUMN certificate_window INTEGER;

-- Each organization numbers its events 1, 2, 3... (one writer: numbers
-- commit in order).
ALTER TABLE organizations ADD COLUMN event_seq INTEGER NOT NULL DEFAULT 0;

CREATE TABLE events (
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    event_type      TEXT NOT NULL CHECK (event_type IN ('target_down', 'target_up', 'target_degraded',
                        'incident_opened', 'incident_closed', 'target_paused', 'target_resumed',
                        'certificate_expiring')),
    -- No foreign keys: an event outlives the target or incident it names.
    target_id       BLOB NOT NULL,
    incident_id     BLOB,
    occurred_at     TEXT NOT NULL,
    payload         TEXT NOT NULL,
    PRIMARY KEY (organization_id, seq)
) WITHOUT ROWID;
CREATE INDEX events_time ON events (occurred_at);
