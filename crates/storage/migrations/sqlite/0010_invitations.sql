-- Teams: invitations to join an organization, and the organization a
-- session acts in (people may belong to several and switch).

-- An invitation is a single-use link; only the keyed hash of its token is
-- kept (crates/app/src/tokens.rs). A pending invitation has no
-- accepted_at; revoking one deletes it. One pending invitation per email
-- and organization: inviting again is resending.
CREATE TABLE invitations (
    id              BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           TEXT NOT NULL,
    role            TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    token_hash      BLOB NOT NULL UNIQUE,
    invited_by      BLOB REFERENCES users (id) ON DELETE SET NULL,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    accepted_at     TEXT,
    accepted_by     BLOB REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX invitations_organization ON invitations (organization_id, created_at);
CREATE UNIQUE INDEX invitations_pending ON invitations (organization_id, email)
    WHERE accepted_at IS NULL;

-- The organization the session acts in; NULL (or one the user has left):
-- their first.
ALTER TABLE sessions ADD COLUMN organization_id BLOB REFERENCES organizations (id) ON DELETE SET NULL;
