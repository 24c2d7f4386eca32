-- Tags (any number a target, each with a colour from a fixed palette) and
-- groups (at most one a target), per organization; and the indexes the
-- windowed dashboard reads by (crates/storage/src/sql/labels.rs).

CREATE TABLE tags (
    id              BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    color           TEXT NOT NULL CHECK (color IN ('grey', 'red', 'orange', 'yellow', 'green', 'teal', 'blue', 'purple', 'pink')),
    created_at      TEXT NOT NULL
);
-- One name per organization, whatever its letter case.
CREATE UNIQUE INDEX tags_name ON tags (organization_id, lower(name));

CREATE TABLE target_tags (
    target_id BLOB NOT NULL REFERENCES targets (id) ON DELETE CASCADE,
    tag_id    BLOB NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (target_id, tag_id)
);
-- "Targets with this tag" (the filter), and deleting a tag.
CREATE INDEX target_tags_tag ON target_tags (tag_id, target_id);

CREATE TABLE target_groups (
    id              BLOB PRIMARY KEY,
    organization_id BLOB NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    created_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX target_groups_name ON target_groups (organization_id, lower(name));

-- A deleted group leaves its targets ungrouped.
ALTER TABLE targets ADD COLUMN group_id BLOB REFERENCES target_groups (id) ON DELETE SET NULL;

-- The dashboard's order, worst first and then by name: the rank is
-- storage's SEVERITY_SQL word for word (rows.rs; a test pins both to
-- domain::labels::severity), so the page's ORDER BY ... LIMIT walks this
-- index instead of sorting every target, and the counts per state read
-- it alone.
CREATE INDEX targets_dashboard ON targets (
    organization_id,
    (CASE WHEN paused THEN 4 WHEN state = 'down' THEN 0 WHEN state = 'degraded' THEN 1 WHEN state = 'pending' THEN 2 ELSE 3 END),
    lower(COALESCE(name, url)),
    id
);
-- The same order inside one group (a group belongs to one organization).
CREATE INDEX targets_group ON targets (
    group_id,
    (CASE WHEN paused THEN 4 WHEN state = 'down' THEN 0 WHEN state = 'degraded' THEN 1 WHEN state = 'pending' THEN 2 ELSE 3 END),
    lower(COALESCE(name, url)),
    id
) WHERE group_id IS NOT NULL;

-- The API's target lists page by (created_at, id): with the id in the
-- index a page walks it, where ties in created_at (targets made in one
-- batch) made every page sort all of the organization's targets. It
-- serves everything the old (organization_id, created_at) index did.
CREATE INDEX targets_page ON targets (organization_id, created_at, id);
DROP INDEX targets_organization;
