-- A durable job queue in the database, for PGlite and PostgreSQL alike: workers claim jobs with
-- FOR UPDATE SKIP LOCKED under a lease, so a crashed worker's job is taken up again, and a dedupe key
-- keeps one live job per key (the same image digest pushed twice while its scan runs → one scan).
CREATE TABLE jobs (
  id            bigserial PRIMARY KEY,
  queue         text NOT NULL,
  dedupe_key    text,
  payload       jsonb NOT NULL,
  state         text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'dead')),
  attempts      integer NOT NULL DEFAULT 0,
  max_attempts  integer NOT NULL DEFAULT 5,
  run_at        timestamptz NOT NULL DEFAULT now(),
  locked_until  timestamptz,
  locked_by     text,
  last_error    text,
  result        jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  finished_at   timestamptz
);
CREATE UNIQUE INDEX jobs_live_dedupe ON jobs (queue, dedupe_key) WHERE dedupe_key IS NOT NULL AND state IN ('queued', 'running');
CREATE INDEX jobs_ready ON jobs (queue, run_at) WHERE state IN ('queued', 'running');
