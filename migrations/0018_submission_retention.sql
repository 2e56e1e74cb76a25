-- Retention of submission detail (src/jobs/retention.ts, SCANHUB_SUBMISSION_RETENTION, off by default).
-- A pipeline that submits on every push writes one occurrence row per finding per submission: the
-- table that grows fastest (10,000 findings × 50 runs a day is 500,000 rows a day for one project).
-- Past a retention, a submission that is no longer the latest of its ref drops its occurrences and
-- keeps its row: verdict, counts, commit, tools and reports. What it drops is marked, so that its
-- report answers 410 with the reason instead of an empty list, and its findings by severity are kept
-- for the trend chart.
ALTER TABLE submissions ADD COLUMN detail_pruned_at timestamptz;
ALTER TABLE submissions ADD COLUMN severity_counts jsonb;
CREATE INDEX submissions_detail_kept ON submissions (created_at) WHERE detail_pruned_at IS NULL;
