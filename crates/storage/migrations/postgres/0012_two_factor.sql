-- Two-factor sign-in with a TOTP app (RFC 6238) and single-use recovery
-- codes (crates/app/src/two_factor.rs).

-- One row per user who started enrolling. The shared secret is sealed
-- (XChaCha20-Poly1305 under a key derived from the instance secret, bound
-- to the user); enabled_at is NULL until a first code confirmed it.
-- last_step is the newest 30 s step a code was accepted for: a code of
-- that step or an older one is refused, so no code works twice.
CREATE TABLE two_factor (
    user_id    UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret     BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    enabled_at TIMESTAMPTZ,
    last_step  BIGINT NOT NULL DEFAULT 0
);

-- Ten per enrolment, stored only as keyed hashes; each works once.
CREATE TABLE recovery_codes (
    user_id   UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BYTEA NOT NULL,
    used_at   TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);
