-- API keys: an organization's keys for scripts and CI, each acting with a
-- role no higher than its creator's. Only the keyed hash of a key is kept
-- (pharos_app::tokens); `prefix` is its first characters, enough to
-- recognise it in a list. A key lives while its creator does (and works
-- only while they are still a member: see pharos_app::api_keys).
CREATE TABLE api_keys (
    id              BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    prefix          TEXT NOT NULL,
    token_hash      BLOB NOT NULL UNIQUE,
    role            TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_by      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      TEXT NOT NULL,
    expires_at      TEXT,
    -- Written at most once a minute per key, not on every request.
    last_used_at    TEXT
);
CREATE INDEX api_keys_organization ON api_keys (organization_id, created_at);
CREATE INDEX api_keys_created_by ON api_keys (created_by);
