-- Core schema: projects, API tokens, submissions, findings and their history per ref, aliases, audit.

CREATE TABLE projects (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL UNIQUE,
  settings    jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name         text NOT NULL,
  token_hash   text NOT NULL UNIQUE,
  role         text NOT NULL CHECK (role IN ('admin', 'security', 'maintainer', 'ci', 'viewer')),
  project_id   uuid REFERENCES projects(id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  last_used_at timestamptz,
  revoked_at   timestamptz
);

CREATE TABLE submissions (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id       uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  ref              text NOT NULL,
  commit_sha       text,
  status           text NOT NULL CHECK (status IN ('completed', 'failed')),
  idempotency_key  text,
  request_hash     text NOT NULL,
  tools            text[] NOT NULL,
  reports          jsonb NOT NULL,
  counts           jsonb NOT NULL,
  created_by       uuid,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, idempotency_key)
);
CREATE INDEX submissions_project_ref ON submissions (project_id, ref, created_at DESC);

CREATE TABLE findings (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id      uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  fingerprint     text NOT NULL,
  category        text NOT NULL,
  severity        text NOT NULL,
  severity_rank   smallint NOT NULL,
  status          text NOT NULL,
  rule_id         text NOT NULL,
  title           text NOT NULL,
  vuln_key        text,
  tools           text[] NOT NULL,
  data            jsonb NOT NULL,
  first_seen_at   timestamptz NOT NULL DEFAULT now(),
  last_seen_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, fingerprint)
);
CREATE INDEX findings_project_rank ON findings (project_id, severity_rank DESC, id);

-- One row per finding per submission per tool: which tool saw what, where, in which run.
CREATE TABLE occurrences (
  submission_id  uuid NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
  finding_id     uuid NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
  tool           text NOT NULL,
  report_index   integer NOT NULL,
  duplicates     integer NOT NULL DEFAULT 1,
  matched_by     text NOT NULL,
  change         text,
  data           jsonb NOT NULL,
  PRIMARY KEY (submission_id, finding_id, tool)
);
CREATE INDEX occurrences_finding ON occurrences (finding_id);

-- The state of each finding on each ref (branch): what "new", "fixed" and "reopened" are measured against.
CREATE TABLE refs (
  project_id          uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  ref                 text NOT NULL,
  last_submission_id  uuid REFERENCES submissions(id) ON DELETE SET NULL,
  updated_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, ref)
);

CREATE TABLE ref_findings (
  project_id              uuid NOT NULL,
  ref                     text NOT NULL,
  finding_id              uuid NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
  state                   text NOT NULL CHECK (state IN ('open', 'fixed')),
  tools                   text[] NOT NULL,
  first_seen_submission   uuid NOT NULL,
  last_seen_submission    uuid NOT NULL,
  fixed_in_submission     uuid,
  reopened_count          integer NOT NULL DEFAULT 0,
  updated_at              timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, ref, finding_id),
  FOREIGN KEY (project_id, ref) REFERENCES refs(project_id, ref) ON DELETE CASCADE
);

-- Global alias groups: ids that name one vulnerability (CVE ↔ GHSA ↔ XRAY ↔ OSV).
CREATE TABLE alias_groups (
  id          bigserial PRIMARY KEY,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE vulnerability_aliases (
  alias     text PRIMARY KEY,
  group_id  bigint NOT NULL REFERENCES alias_groups(id),
  source    text NOT NULL
);
CREATE INDEX vulnerability_aliases_group ON vulnerability_aliases (group_id);

-- Per project: which finding a vulnerability id names for one package/version/target key.
CREATE TABLE finding_aliases (
  project_id  uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  vuln_key    text NOT NULL,
  alias       text NOT NULL,
  finding_id  uuid NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
  PRIMARY KEY (project_id, vuln_key, alias)
);

CREATE TABLE audit_log (
  id           bigserial PRIMARY KEY,
  at           timestamptz NOT NULL DEFAULT now(),
  actor        text NOT NULL,
  action       text NOT NULL,
  target_type  text NOT NULL,
  target_id    text,
  before       jsonb,
  after        jsonb,
  request_id   text
);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, at DESC);
