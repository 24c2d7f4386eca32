-- The audit log: every change in an organization (and its members'
-- sign-ins), who made it (a user, or an API key acting for one), from
-- which client address, and the changed fields without secrets. Kept 400
-- days (the retention job).
CREATE TABLE audit_log (
    id              UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    at              TIMESTAMPTZ NOT NULL,
    -- Who: kept as written, so the entry outlives the user or the key.
    actor_user_id   UUID,
    actor_email     TEXT,
    api_key_id      UUID,
    client_address  TEXT,
    action          TEXT NOT NULL CHECK (action IN ('target.created', 'target.updated', 'target.deleted', 'target.paused', 'target.resumed', 'channel.created', 'channel.updated', 'channel.deleted', 'maintenance.created', 'maintenance.updated', 'maintenance.deleted', 'member.role_changed', 'member.removed', 'invitation.created', 'invitation.resent', 'invitation.revoked', 'invitation.accepted', 'api_key.created', 'api_key.revoked', 'organization.renamed', 'organization.two_factor_requirement_changed', 'alert_settings.changed', 'auth.signed_in', 'auth.sign_in_failed')),
    -- What it was done to (a target's or channel's id, a member's email).
    subject         TEXT,
    -- The changed fields, JSON, never a secret.
    details         TEXT NOT NULL
);
-- Newest first per organization (ids are time-ordered UUID v7).
CREATE INDEX audit_log_organization ON audit_log (organization_id, id);
CREATE INDEX audit_log_at ON audit_log (at);
