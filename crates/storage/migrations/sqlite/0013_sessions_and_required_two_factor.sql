-- Sessions a person can see and end (crates/app/src/sessions.rs), and
-- organizations that require two-factor sign-in of their members.

-- A public id for each session, never its token nor the token's hash;
-- sessions from before this migration get a random one (a UUID v4 made
-- from randomblob). The client address and user agent are what the
-- sign-in came with (NULL for older sessions); the user agent is cut to
-- 256 characters before it is stored. SQLite cannot add a NOT NULL
-- column without a default, so the table is rebuilt.
CREATE TABLE sessions_new (
    token_hash      BLOB PRIMARY KEY,
    id              BLOB NOT NULL UNIQUE,
    user_id         BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at      TEXT NOT NULL,
    last_seen_at    TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    organization_id BLOB REFERENCES organizations (id) ON DELETE SET NULL,
    client_address  TEXT,
    user_agent      TEXT
);
-- Materialized, so each row's random hex is drawn once and sliced.
WITH drawn AS MATERIALIZED (SELECT hex(randomblob(16)) AS h, * FROM sessions)
INSERT INTO sessions_new (token_hash, id, user_id, created_at, last_seen_at, expires_at, organization_id)
SELECT token_hash,
       unhex(substr(h, 1, 12) || '4' || substr(h, 14, 3) || '8' || substr(h, 18, 15)),
       user_id, created_at, last_seen_at, expires_at, organization_id
FROM drawn;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE INDEX sessions_user ON sessions (user_id);

-- Owners turn this on (once they use two-factor themselves); a member
-- without two-factor is then held to setting it up.
ALTER TABLE organizations ADD COLUMN require_two_factor BOOLEAN NOT NULL DEFAULT FALSE;
