-- Public status pages (issue #12): a page of an organization shows chosen
-- targets, in ordered sections, under public names, with the incidents and
-- announcements posted on it. A target not placed on a page is never shown
-- on it (crates/domain/src/status_page.rs).
CREATE TABLE status_pages (
    id                        UUID PRIMARY KEY,
    organization_id           UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    title                     TEXT NOT NULL,
    -- /status/<slug>, unique on the instance.
    slug                      TEXT NOT NULL UNIQUE,
    description               TEXT NOT NULL,
    logo_url                  TEXT,
    theme                     TEXT NOT NULL CHECK (theme IN ('light', 'dark')),
    -- Show each target's address beside its public name (opt-in).
    show_target_urls          BOOLEAN NOT NULL,
    -- A confirmed outage of a target on the page opens a draft incident.
    auto_draft_incidents      BOOLEAN NOT NULL,
    -- A host name of the page's own (status.example.com), lowercase; served
    -- once the TXT record holding custom_domain_token was seen.
    custom_domain             TEXT UNIQUE,
    custom_domain_verified_at TIMESTAMPTZ,
    custom_domain_token       TEXT,
    -- Optional password for visitors (Argon2id PHC string).
    password_hash             TEXT,
    created_at                TIMESTAMPTZ NOT NULL,
    updated_at                TIMESTAMPTZ NOT NULL
);
CREATE INDEX status_pages_organization ON status_pages (organization_id, created_at);

CREATE TABLE status_page_sections (
    id       UUID PRIMARY KEY,
    page_id  UUID NOT NULL REFERENCES status_pages (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name     TEXT NOT NULL,
    UNIQUE (page_id, position)
);

-- A target is on a page once; deleting the target takes it off.
CREATE TABLE status_page_targets (
    page_id     UUID NOT NULL REFERENCES status_pages (id) ON DELETE CASCADE,
    section_id  UUID NOT NULL REFERENCES status_page_sections (id) ON DELETE CASCADE,
    target_id   UUID NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    public_name TEXT,
    PRIMARY KEY (page_id, target_id)
);
CREATE INDEX status_page_targets_target ON status_page_targets (target_id);
CREATE INDEX status_page_targets_section ON status_page_targets (section_id, position);

-- Incidents and announcements posted on a page. source_incident_id is the
-- monitoring incident an automatic draft was opened for (one draft per
-- page and incident).
CREATE TABLE status_page_incidents (
    id                 UUID PRIMARY KEY,
    page_id            UUID NOT NULL REFERENCES status_pages (id) ON DELETE CASCADE,
    kind               TEXT NOT NULL CHECK (kind IN ('incident', 'announcement')),
    title              TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    draft              BOOLEAN NOT NULL,
    source_incident_id UUID,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    resolved_at        TIMESTAMPTZ,
    UNIQUE (page_id, source_incident_id)
);
CREATE INDEX status_page_incidents_page ON status_page_incidents (page_id, created_at);

-- Only targets on the page (the store inserts through status_page_targets).
CREATE TABLE status_page_incident_targets (
    incident_id UUID NOT NULL REFERENCES status_page_incidents (id) ON DELETE CASCADE,
    target_id   UUID NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, target_id)
);
CREATE INDEX status_page_incident_targets_target ON status_page_incident_targets (target_id);

CREATE TABLE status_page_incident_updates (
    id          UUID PRIMARY KEY,
    incident_id UUID NOT NULL REFERENCES status_page_incidents (id) ON DELETE CASCADE,
    status      TEXT NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    message     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX status_page_incident_updates_incident ON status_page_incident_updates (incident_id, created_at);
