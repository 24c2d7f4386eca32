-- An agent gone silent is an event of each target it checks
-- (`agent_offline`, issue #15). SQLite cannot change a CHECK in place:
-- the table is rebuilt with its rows, keys and index.
CREATE TABLE events_new (
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    event_type      TEXT NOT NULL CHECK (event_type IN ('target_down', 'target_up', 'target_degraded',
                        'incident_opened', 'incident_closed', 'target_paused', 'target_resumed',
                        'certificate_expiring', 'agent_offline')),
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
