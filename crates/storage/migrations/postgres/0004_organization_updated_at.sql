-- When an organization last changed (its name). Existing organizations
-- never changed since they were created. Numbered 0004 like SQLite's, so
-- one number means one change on both backends (PostgreSQL has no 0003).
ALTER TABLE organizations ADD COLUMN updated_at TIMESTAMPTZ;
UPDATE organizations SET updated_at = created_at;
ALTER TABLE organizations ALTER COLUMN updated_at SET NOT NULL;
