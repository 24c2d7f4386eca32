-- Maintenance windows: planned time when a target's failures are expected.
-- Checks go on and are marked; the target's state is held, so no incident
-- opens and nothing is sent (crates/domain/src/maintenance.rs).

-- One-off windows use starts_at and ends_at; weekly ones the days (a bit
-- per day, Monday = 1 ... Sunday = 64), a local start minute, a duration
-- and an IANA time zone. Storage parses the row into the typed schedule
-- and refuses a row that does not make one.
CREATE TABLE maintenance_windows (
    id               UUID PRIMARY KEY,
    organization_id  UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN ('one_off', 'weekly')),
    starts_at        TIMESTAMPTZ,
    ends_at          TIMESTAMPTZ,
    weekdays         INTEGER CHECK (weekdays BETWEEN 1 AND 127),
    start_minute     INTEGER CHECK (start_minute BETWEEN 0 AND 1439),
    duration_minutes INTEGER CHECK (duration_minutes BETWEEN 1 AND 10080),
    time_zone        TEXT,
    -- Every target of the organization, present and future; otherwise
    -- those in maintenance_targets.
    all_targets      BOOLEAN NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX maintenance_windows_organization ON maintenance_windows (organization_id, created_at);

CREATE TABLE maintenance_targets (
    window_id UUID NOT NULL REFERENCES maintenance_windows (id) ON DELETE CASCADE,
    target_id UUID NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    PRIMARY KEY (window_id, target_id)
);
CREATE INDEX maintenance_targets_target ON maintenance_targets (target_id);

-- A check taken while a window held its target.
ALTER TABLE checks ADD COLUMN in_maintenance BOOLEAN NOT NULL DEFAULT FALSE;
