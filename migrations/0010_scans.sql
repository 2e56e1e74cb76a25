-- On-demand scans through the bridges (Xray, SonarQube, Nexus IQ): one row per request, updated by the
-- job that performs it, so a pipeline or a person can follow it (GET /api/v1/scans/{id}) to the
-- submission it produced or the reason it failed.
CREATE TABLE scans (
  id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  project_id     uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  source         text NOT NULL CHECK (source IN ('xray', 'sonarqube', 'nexus-iq')),
  target         text NOT NULL,
  integration_id uuid NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
  status         text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  step           text NOT NULL DEFAULT 'queued',
  attempts       integer NOT NULL DEFAULT 0,
  submission_id  uuid REFERENCES submissions(id) ON DELETE SET NULL,
  error          text,
  requested_by   text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  finished_at    timestamptz
);
CREATE INDEX scans_project ON scans (project_id, created_at DESC);

-- Schedules fire once per slot across instances: "was a job with this key ever queued?" (enqueueOnce).
CREATE INDEX jobs_dedupe_any ON jobs (queue, dedupe_key) WHERE dedupe_key IS NOT NULL;
