-- Status page subscribers (issue #12): visitors subscribe by email with a
-- double opt-in (a pending row holds the keyed hash of its confirm token
-- until it is used or expires); owners and admins add webhooks, confirmed
-- at once, with a signing secret sealed under the instance key. Every
-- published incident or update is queued once per confirmed subscriber in
-- status_page_deliveries, which the workers drain with a lease and
-- retries.
CREATE TABLE status_page_subscribers (
    id                 UUID PRIMARY KEY,
    page_id            UUID NOT NULL REFERENCES status_pages (id) ON DELETE CASCADE,
    kind               TEXT NOT NULL CHECK (kind IN ('email', 'webhook')),
    -- The email address (lowercase), or the webhook's URL.
    address            TEXT NOT NULL,
    -- A webhook's signing secret, sealed (app::sealing).
    signing_secret     BYTEA,
    state              TEXT NOT NULL CHECK (state IN ('pending', 'confirmed')),
    confirm_token_hash BYTEA UNIQUE,
    confirm_expires_at TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL,
    confirmed_at       TIMESTAMPTZ,
    UNIQUE (page_id, kind, address)
);

-- One row per subscriber and thing announced: announce_key is the
-- incident update's id, or the incident's own id for one posted without a
-- message, so each is delivered once however often it is queued.
CREATE TABLE status_page_deliveries (
    id              UUID PRIMARY KEY,
    subscriber_id   UUID NOT NULL REFERENCES status_page_subscribers (id) ON DELETE CASCADE,
    incident_id     UUID NOT NULL REFERENCES status_page_incidents (id) ON DELETE CASCADE,
    announce_key    UUID NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    leased_until    TIMESTAMPTZ,
    delivered_at    TIMESTAMPTZ,
    failed_at       TIMESTAMPTZ,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (subscriber_id, announce_key)
);
CREATE INDEX status_page_deliveries_due ON status_page_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
