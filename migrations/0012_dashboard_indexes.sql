-- Dashboard queries on large projects (bench/dashboard.ts, 100,000 findings): a finding's state on
-- each ref (overview counts, "new" filters) and what a submission fixed.
CREATE INDEX ref_findings_finding ON ref_findings (finding_id, project_id, ref, state);
CREATE INDEX ref_findings_fixed_in ON ref_findings (fixed_in_submission) WHERE fixed_in_submission IS NOT NULL;
