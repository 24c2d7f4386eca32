-- When an organization last changed (its name). Existing organizations
-- never changed since they were created. SQLite cannot add a NOT NULL
-- column without a constant default, so the column stays nullable here;
-- Pharos always writes it.
ALTER TABLE organizations ADD COLUMN updated_at TEXT;
UPDATE organizations SET updated_at = created_at;
