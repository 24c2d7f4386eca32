-- An agent gone offline, and back online, alerts the channels of its
-- targets (issue #15): a new event type (`agent_online`) and two new
-- notification kinds. An agent's alert names the first target of its event.
ALTER TABLE events DROP CONSTRAINT events_event_type_check;
ALTER TABLE events ADD CONSTRAINT events_event_type_check CHECK (event_type IN ('target_down',
    'target_up', 'target_degraded', 'incident_opened', 'incident_closed', 'target_paused',
    'target_resumed', 'certificate_expiring', 'agent_offline', 'agent_online'));
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check CHECK (kind IN ('down', 'up',
    'degraded', 'certificate_expiring', 'summary', 'agent_offline', 'agent_online'));
