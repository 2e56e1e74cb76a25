-- The event record (src/store/events.ts) is written in the transaction that caused each event, and its
-- notifications are planned there and then; nothing reads an event afterwards. It grew by two or three
-- rows per submission for ever. Events are now pruned with finished jobs (SCANHUB_JOB_RETENTION), and
-- this indexes that pruning. Notifications (the alert history) and the audit log are kept.
CREATE INDEX events_created ON events (created_at);
