-- A queue that stays small and quick however long it runs (src/jobs/retention.ts, src/jobs/queue.ts).
--
-- Finished jobs were kept forever, and three lookups read them without an index: the webhook's
-- "same push within the hour" check, enqueueOnce's "ever queued" check (a scheduled pull's slot) and
-- the metrics' dead-job count. Each scanned the whole table, which grows with every notification,
-- push and upload. Finished jobs are now pruned after SCANHUB_JOB_RETENTION days, and these index
-- the lookups and the pruning.
CREATE INDEX jobs_dedupe_key ON jobs (queue, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('done', 'dead');

-- An upload whose ingest job died (its attempts spent) stayed 'queued' or 'processing' forever, with
-- its report bytes, and a pipeline polling it waited out its own timeout. The queue now fails it when
-- the job dies (the handler's onDead); uploads already in that state are failed here the same way,
-- and every failed upload's report bytes are dropped (it will not be read again).
UPDATE submission_uploads u
   SET state = 'failed',
       error = jsonb_build_object('code', 'INGEST_FAILED', 'message',
         'ScanHub gave up ingesting this submission after repeated failures; the reason is in its job and logs. Submit the reports again. (job ' || j.id || ', ' || j.attempts || ' attempt(s))')
  FROM jobs j
 WHERE u.state <> 'failed' AND j.queue = 'ingest.submission' AND j.dedupe_key = u.id::text AND j.state = 'dead'
   AND NOT EXISTS (SELECT 1 FROM jobs l WHERE l.queue = 'ingest.submission' AND l.dedupe_key = u.id::text AND l.state IN ('queued', 'running'))
   AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.id = u.id);
UPDATE submission_upload_reports r SET content = NULL FROM submission_uploads u WHERE u.id = r.upload_id AND u.state = 'failed' AND r.content IS NOT NULL;
DELETE FROM submission_upload_chunks c USING submission_uploads u WHERE u.id = c.upload_id AND u.state = 'failed';
