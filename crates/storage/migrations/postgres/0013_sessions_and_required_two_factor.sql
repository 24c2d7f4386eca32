-- Sessions a person can see and end (crates/app/src/sessions.rs), and
-- organizations that require two-factor sign-in of their members.

-- A public id for each session, never its token nor the token's hash;
-- sessions from before this migration get a random one. The client
-- address and user agent are what the sign-in came with (NULL for older
-- sessions); the user agent is cut to 256 characters before it is stored.
ALTER TABLE sessions ADD COLUMN id UUID;
UPDATE sessions SET id = gen_random_uuid();
ALTER TABLE sessions ALTER COLUMN id SET NOT NULL;
CREATE UNIQUE INDEX sessions_id ON sessions (id);
ALTER TABLE sessions ADD COLUMN client_address TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;

-- Owners turn this on (once they use two-factor themselves); a member
-- without two-factor is then held to setting it up.
ALTER TABLE organizations ADD COLUMN require_two_factor BOOLEAN NOT NULL DEFAULT FALSE;
