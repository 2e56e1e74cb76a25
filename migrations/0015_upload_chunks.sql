-- Large uploads without holding them whole: a report waiting for a worker is stored as chunks of a
-- few MiB (a 500 MB report cannot travel as one bytea parameter: its hex text is over 1 GB, past
-- what a JavaScript string can hold), with its size and SHA-256 computed as it arrived. The worker
-- reads it back a chunk at a time. Rows stored before this migration keep their one `content`.
ALTER TABLE submission_upload_reports ALTER COLUMN content DROP NOT NULL;
ALTER TABLE submission_upload_reports ADD COLUMN size bigint;
ALTER TABLE submission_upload_reports ADD COLUMN sha256 text;

CREATE TABLE submission_upload_chunks (
  upload_id  uuid NOT NULL,
  idx        integer NOT NULL,
  seq        integer NOT NULL,
  content    bytea NOT NULL,
  PRIMARY KEY (upload_id, idx, seq),
  FOREIGN KEY (upload_id, idx) REFERENCES submission_upload_reports(upload_id, idx) ON DELETE CASCADE
);
