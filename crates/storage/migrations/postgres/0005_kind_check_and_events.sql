-- The six target kinds as a rule the database keeps, and the event log:
-- one row per state change, written in the transaction that makes it.

ALTER TABLE targets ADD CONSTRAINT targets_kind_check
    CHECK (kind IN ('http', 'tcp', 'ping', 'dns', 'tls', 'heartbeat'));

-- The certificate warning window (days) last reported for the target, so
-- each window is reported once; NULL while the certificate is far from expiry.
ALTER TABLE targets ADD COLUMN certificate_window INTEGER;

-- Each organization numbers its events 1, 2, 3... The counter row is locked
-- by the transaction that takes numbers, so numbers commit in order and a
-- reader that has seen event N never later finds an event below N.
ALTER TABLE organizations ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0;

CREATE TABLE events (
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    seq             BIGINT NOT NULL,
    event_type      TEXT NOT NULL CHECK (event_type IN ('target_down', 'target_up', 'target_degraded',
                        'incident_opened', 'incident_closed', 'target_paused', 'target_resumed',
                        'certificate_expiring')),
    -- No foreign keys: an event outlives the target or incident it names.
    target_id       UUID NOT NULL,
    incident_id     UUID,
    occurred_at     TIMESTAMPTZ NOT NULL,
    payload         TEXT NOT NULL,
    PRIMARY KEY (organization_id, seq)
);
CREATE INDEX events_time ON events (occurred_at);
