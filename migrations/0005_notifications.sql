-- Notifications: alert rules users configure, and one row per message to send (the outbox),
-- written in the transaction of the event that caused it and delivered by the job queue.

CREATE TABLE alert_rules (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name            text NOT NULL UNIQUE,
  event           text NOT NULL,
  project_id      uuid REFERENCES projects(id) ON DELETE CASCADE,   -- NULL: every project (filters may narrow)
  spec            jsonb NOT NULL,                                    -- filters, channels, throttle, dedup, quiet hours, escalation, schedule
  enabled         boolean NOT NULL DEFAULT true,
  last_digest_at  timestamptz,
  created_by      text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_rules_event ON alert_rules (event) WHERE enabled;

CREATE TABLE notifications (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  rule_id          uuid REFERENCES alert_rules(id) ON DELETE SET NULL,
  channel_id       uuid REFERENCES integrations(id) ON DELETE SET NULL,
  project_id       uuid REFERENCES projects(id) ON DELETE CASCADE,
  event_type       text NOT NULL,
  state            text NOT NULL CHECK (state IN ('pending', 'deferred', 'sending', 'sent', 'suppressed', 'dead')),
  reason           text,                                             -- why suppressed / deferred / dead
  recipients       text[] NOT NULL DEFAULT '{}',
  message          jsonb NOT NULL,                                   -- the rendered NotificationMessage (no attachments)
  attach_report    uuid,                                             -- submission whose report is attached (email)
  severity         text,
  attempts         integer NOT NULL DEFAULT 0,
  provider_id      text,
  ack_token_hash   text UNIQUE,
  acknowledged_at  timestamptz,
  acknowledged_by  text,
  escalates        uuid REFERENCES notifications(id) ON DELETE SET NULL,  -- this message escalates that one
  created_at       timestamptz NOT NULL DEFAULT now(),
  send_after       timestamptz NOT NULL DEFAULT now(),
  sent_at          timestamptz
);
CREATE INDEX notifications_rule_project ON notifications (rule_id, project_id, created_at DESC);
CREATE INDEX notifications_state ON notifications (state, created_at DESC);

-- Which finding a rule alerted on, when: the dedup window ("the same finding never alerts twice within it").
CREATE TABLE notification_findings (
  rule_id      uuid NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
  fingerprint  text NOT NULL,
  alerted_at   timestamptz NOT NULL,
  PRIMARY KEY (rule_id, fingerprint)
);
