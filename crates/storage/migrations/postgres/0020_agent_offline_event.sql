-- An agent gone silent is an event of each target it checks
-- (`agent_offline`, issue #15).
ALTER TABLE events DROP CONSTRAINT events_event_type_check;
ALTER TABLE events ADD CONSTRAINT events_event_type_check CHECK (event_type IN ('target_down',
    'target_up', 'target_degraded', 'incident_opened', 'incident_closed', 'target_paused',
    'target_resumed', 'certificate_expiring', 'agent_offline'));
