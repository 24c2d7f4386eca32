-- Instance-wide public locations (issue #15): an operator publishes one
-- of their agents (`pharos admin agents publish`), and every organization
-- may then check its targets from it. The agent still belongs to the
-- operator's organization, which alone manages it.
ALTER TABLE agents ADD COLUMN public BOOLEAN NOT NULL DEFAULT FALSE;
