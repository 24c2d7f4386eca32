-- A target's public badge (issue #12): the token in /badge/<token>/...,
-- NULL while its badge is off. Kept as is, not hashed: the badge's URL is
-- shown again on the target's page and sits in READMEs, and it opens
-- nothing but the badge of that one target.
ALTER TABLE targets ADD COLUMN badge_token TEXT;
CREATE UNIQUE INDEX targets_badge_token ON targets (badge_token) WHERE badge_token IS NOT NULL;

-- Each worker process's presence, for the instance's public status: when
-- it started, when it last asked for due targets (alive), and when a
-- claim last brought it work. Written every few seconds, not per claim.
CREATE TABLE worker_presence (
    worker_id     TEXT PRIMARY KEY,
    started_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    last_claim_at TEXT
);
CREATE INDEX worker_presence_seen ON worker_presence (last_seen_at);
