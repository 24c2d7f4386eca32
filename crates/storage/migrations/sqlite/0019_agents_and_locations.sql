-- Remote agents (issue #15): the same binary in agent mode on another
-- machine, checking the targets assigned to it from there.
--
-- An agent joins with the UUID it made for itself and the organization's
-- shared secret. `uuid` is what the agent says it is; `id` is the
-- server's name for it (a check's location). Only the keyed hash of its
-- token is kept (pharos_app::tokens); NULL while pending, rejected or
-- revoked, so a revoked agent's token finds nothing at once.
CREATE TABLE agents (
    id              BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    uuid            BLOB NOT NULL,
    name            TEXT NOT NULL,
    version         TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'revoked')),
    token_hash      BLOB UNIQUE,
    created_at      TEXT NOT NULL,
    last_seen_at    TEXT NOT NULL,
    -- Set when the agent was found silent past the offline setting;
    -- cleared by its next heartbeat.
    offline_since   TEXT,
    UNIQUE (organization_id, uuid)
);
CREATE INDEX agents_last_seen ON agents (status, last_seen_at);

-- The organization's agent settings: the shared secret, only as its keyed
-- hash (the organization is found by it: one secret, one organization),
-- and the UUIDs allowed in before they ask.
CREATE TABLE agent_settings (
    organization_id BLOB PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    secret_hash     BLOB UNIQUE,
    updated_at      TEXT NOT NULL
);
CREATE TABLE agent_allowed_uuids (
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    uuid            BLOB NOT NULL,
    PRIMARY KEY (organization_id, uuid)
);

-- Where a target is checked from, besides the server itself
-- (`check_local`), and how many locations must agree it is down
-- (`quorum`: any, majority, all or a number; NULL: majority).
ALTER TABLE targets ADD COLUMN check_local BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE targets ADD COLUMN quorum TEXT;
CREATE TABLE target_agents (
    target_id       BLOB NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    agent_id        BLOB NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
    PRIMARY KEY (target_id, agent_id)
);
CREATE INDEX target_agents_agent ON target_agents (agent_id);

-- Each location's own view of a target (its confirmation of failures),
-- for targets checked from more than one place. The local location is
-- the nil UUID.
CREATE TABLE location_states (
    target_id            BLOB NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    location             BLOB NOT NULL,
    state                TEXT NOT NULL CHECK (state IN ('pending', 'up', 'degraded', 'down')),
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    updated_at           TEXT NOT NULL,
    PRIMARY KEY (target_id, location)
);

-- A check's location (NULL: the server itself) and, for an agent's, the
-- slot it was handed: one result per (target, agent, slot), so a retried
-- push never stores twice. No foreign key: history outlives the agent.
ALTER TABLE checks ADD COLUMN agent_id BLOB;
ALTER TABLE checks ADD COLUMN slot_at TEXT;
CREATE UNIQUE INDEX checks_agent_slot ON checks (target_id, agent_id, slot_at)
    WHERE agent_id IS NOT NULL;
