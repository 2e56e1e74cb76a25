-- Submissions ingested by a worker (large uploads, or `Prefer: respond-async`): the request and its
-- report bytes wait here until an `ingest.submission` job turns them into a submission with this id
-- (one transaction: nothing partial is ever visible), then the upload is deleted.
CREATE TABLE submission_uploads (
  id          uuid PRIMARY KEY,
  project_id  uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
  request     jsonb NOT NULL,
  state       text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'processing', 'failed')),
  error       jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX submission_uploads_idempotency ON submission_uploads (project_id, (request->>'idempotencyKey')) WHERE request->>'idempotencyKey' IS NOT NULL;

CREATE TABLE submission_upload_reports (
  upload_id  uuid NOT NULL REFERENCES submission_uploads(id) ON DELETE CASCADE,
  idx        integer NOT NULL,
  filename   text NOT NULL,
  tool       text,
  content    bytea NOT NULL,
  PRIMARY KEY (upload_id, idx)
);
