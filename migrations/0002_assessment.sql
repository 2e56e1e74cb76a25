-- Assessment: policies (versioned, per project or organisation default), scan configuration,
-- exceptions (false positive / accepted risk / not affected), and each submission's verdict.

CREATE TABLE policies (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id  uuid REFERENCES projects(id) ON DELETE CASCADE,   -- NULL: the organisation default
  version     integer NOT NULL,
  source      text NOT NULL,                                     -- the YAML as written
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX policies_scope_version ON policies ((COALESCE(project_id, '00000000-0000-0000-0000-000000000000'::uuid)), version);

CREATE TABLE scan_configs (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id  uuid REFERENCES projects(id) ON DELETE CASCADE,   -- NULL: the organisation default
  config      jsonb NOT NULL,
  updated_by  text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX scan_configs_scope ON scan_configs ((COALESCE(project_id, '00000000-0000-0000-0000-000000000000'::uuid)));

CREATE TABLE exceptions (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id          uuid REFERENCES projects(id) ON DELETE CASCADE,   -- NULL: all projects
  kind                text NOT NULL CHECK (kind IN ('false_positive', 'accepted_risk', 'not_affected')),
  justification       text,
  reason              text NOT NULL,
  owner               text NOT NULL,
  scope               jsonb NOT NULL,
  expires_at          timestamptz,
  status              text NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'revoked')),
  requested_by        text NOT NULL,
  decided_by          text,
  decided_at          timestamptz,
  expiry_notified_at  timestamptz,
  source              text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CHECK (kind <> 'accepted_risk' OR expires_at IS NOT NULL)
);
CREATE INDEX exceptions_project ON exceptions (project_id, status);

-- Events other parts consume (notifications): an outbox written in the same transaction as the change.
CREATE TABLE events (
  id          bigserial PRIMARY KEY,
  type        text NOT NULL,
  project_id  uuid REFERENCES projects(id) ON DELETE CASCADE,
  payload     jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_type ON events (type, created_at);

ALTER TABLE submissions ADD COLUMN target_ref text;
ALTER TABLE submissions ADD COLUMN verdict jsonb;
ALTER TABLE submissions ADD COLUMN policy_id uuid REFERENCES policies(id) ON DELETE SET NULL;
