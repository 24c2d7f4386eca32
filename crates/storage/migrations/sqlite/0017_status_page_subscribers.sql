-- Status page subscribers (issue #12): visitors subscribe by email with a
-- double opt-in (a pending row holds the keyed hash of its confirm token
-- until it is used or expires); owners and admins add webhooks, confirmed
-- at once, with a signing secret sealed under the instance key. Every
-- published incident or update is queued once per confirmed subscriber in
-- status_page_deliveries, which the workers drain with a lease and
-- retries.
CREATE TABLE status_page_subscribers (
    id                 BLOB PRIMARY KEY,
    page_id            BLOB NOT NULL REFERENCES status_pages (id) ON DELETE CASCADE,
    kind               TEXT NOT NULL CHECK (kind IN ('email', 'webhook')),
    -- The email address (lowercase), or the webhook's URL.
    address            TEXT NOT NULL,
    -- A webhook's signing secret, sealed (app::sealing).
    signing_secret     BLOB,
    state              TEXT NOT NULL CHECK (state IN ('pending', 'confirmed')),
    confirm_token_hash BLOB UNIQUE,
    confirm_expires_at TEXT,
    created_at         TEXT NOT NULL,
    confirmed_at       TEXT,
    UNIQUE (page_id, kind, address)
);

-- One row per subscriber and thing announced: announce_key is the
-- incident update's id, or the incident's own id for one posted without a
-- message, so each is delivered once however often it is queued.
CREATE TABLE status_page_deliveries (
    id              BLOB PRIMARY KEY,
    subscriber_id   BLOB NOT NULL REFERENCES status_page_subscribers (id) ON DELETE CASCADE,
    incident_id     BLOB NOT NULL REFERENCES status_page_incidents (id) ON DELETE CASCADE,
    announce_key    BLOB NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    leased_until    TEXT,
    delivered_at    TEXT,
    failed_at       TEXT,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    UNIQUE (subscriber_id, announce_key)
);
CREATE INDEX status_page_deliveries_due ON status_page_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
