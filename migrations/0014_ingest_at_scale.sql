-- Ingest at scale (#12, bench/scale.ts). A pipeline re-submits mostly the same findings every run, and
-- most findings are reported by one tool, so two things were written again and again:
--
-- 1. Every stored finding was rewritten on every submission — a new row version, and new entries in
--    every index, the trigram index included — even when nothing about it had changed. `data_hash`
--    (a hash of the tool data as ingested, before ScanHub's enrichment) lets the upsert skip those.
--    "Last seen" is then read from ref_findings.last_seen_submission, which every submission records.
ALTER TABLE findings ADD COLUMN data_hash text;

-- 2. Each occurrence stored its tool's view in full even when it is exactly the finding's data (one
--    tool, no merge): the same JSON twice per finding per submission. NULL now means "the finding's
--    data as it was when this occurrence was written"; readers use COALESCE(o.data, f.data).
ALTER TABLE occurrences ALTER COLUMN data DROP NOT NULL;

-- Before a finding's tool data changes, occurrences that still lean on the old data get their own
-- copy, so a past submission's findings stay what was reported then. It runs under the finding's row
-- lock, so a concurrent submission of the same finding cannot slip between. Rows written before this
-- migration (data_hash NULL) have no NULL occurrences, and ScanHub's enrichment (KEV, EPSS, aliases,
-- which past submissions may show as known today) leaves data_hash alone: neither fires it.
CREATE FUNCTION scanhub_keep_occurrence_views() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE occurrences SET data = OLD.data WHERE finding_id = OLD.id AND data IS NULL;
  RETURN NEW;
END
$$;
CREATE TRIGGER findings_keep_occurrence_views BEFORE UPDATE OF data_hash ON findings
  FOR EACH ROW WHEN (OLD.data_hash IS NOT NULL AND OLD.data_hash IS DISTINCT FROM NEW.data_hash)
  EXECUTE FUNCTION scanhub_keep_occurrence_views();

-- 3. A foreign key is checked row by row (a lookup per row per key): for the three tables that take a
--    row per finding per submission, those checks were most of the time of writing them (occurrences:
--    2.1 of 3.1 s per 100,000 rows). One transaction writes the parents (submission, findings, ref)
--    before these rows, and nothing else writes them, so the checks proved nothing the code does not.
--    What the keys did on delete is kept: when findings, submissions or refs go, so do their rows —
--    once per statement, over the deleted set, however the delete came (a project's cascade included).
ALTER TABLE occurrences DROP CONSTRAINT occurrences_submission_id_fkey, DROP CONSTRAINT occurrences_finding_id_fkey;
ALTER TABLE ref_findings DROP CONSTRAINT ref_findings_finding_id_fkey, DROP CONSTRAINT ref_findings_project_id_ref_fkey;
ALTER TABLE finding_aliases DROP CONSTRAINT finding_aliases_finding_id_fkey, DROP CONSTRAINT finding_aliases_project_id_fkey;

CREATE FUNCTION scanhub_findings_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM occurrences WHERE finding_id IN (SELECT id FROM gone);
  DELETE FROM ref_findings WHERE finding_id IN (SELECT id FROM gone);
  DELETE FROM finding_aliases WHERE finding_id IN (SELECT id FROM gone);
  RETURN NULL;
END
$$;
CREATE TRIGGER findings_gone AFTER DELETE ON findings REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION scanhub_findings_gone();

CREATE FUNCTION scanhub_submissions_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM occurrences WHERE submission_id IN (SELECT id FROM gone);
  RETURN NULL;
END
$$;
CREATE TRIGGER submissions_gone AFTER DELETE ON submissions REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION scanhub_submissions_gone();

CREATE FUNCTION scanhub_refs_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM ref_findings r USING gone g WHERE r.project_id = g.project_id AND r.ref = g.ref;
  RETURN NULL;
END
$$;
CREATE TRIGGER refs_gone AFTER DELETE ON refs REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION scanhub_refs_gone();
