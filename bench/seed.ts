// Synthetic findings in bulk SQL for the page and API benchmarks: `count` findings of one project on
// its ref "main", seen by one submission, with the spread of severities, packages, paths, EPSS and KEV
// that filters and groupings need. Each occurrence leans on its finding's data (NULL), as ingest stores
// a single-tool view (migration 0014).
import type { Queryable } from '../src/store/db.js';

export async function seedFindings(db: Pick<Queryable, 'query'>, projectId: string, submissionId: string, count: number): Promise<void> {
  await db.query(
    `INSERT INTO findings (project_id, fingerprint, category, severity, severity_rank, status, rule_id, title, vuln_key, tools, data, first_seen_at, last_seen_at)
     SELECT $1, md5('fp' || i) || md5('fq' || i), 'vulnerability', sev, 5 - array_position(ARRAY['critical','high','medium','low','info'], sev), 'open',
            'CVE-2030-' || i, 'Synthetic flaw ' || i || ' in libbench' || (i % 997), 'v' || i, ARRAY['trivy'],
            jsonb_build_object(
              'tool', 'trivy', 'ruleId', 'CVE-2030-' || i, 'category', 'vulnerability', 'severity', sev, 'title', 'Synthetic flaw ' || i || ' in libbench' || (i % 997),
              'vulnerabilityIds', jsonb_build_array('CVE-2030-' || i), 'cwes', '[]'::jsonb, 'status', 'open',
              'package', jsonb_build_object('name', 'libbench' || (i % 997), 'version', '1.' || (i % 13), 'ecosystem', 'debian'),
              'fixedVersions', CASE WHEN i % 3 = 0 THEN '[]'::jsonb ELSE jsonb_build_array('2.0') END,
              'location', jsonb_build_object('path', 'src/module' || (i % 211) || '/file' || (i % 17) || '.py'),
              'references', jsonb_build_array('https://nvd.nist.gov/vuln/detail/CVE-2030-' || i),
              'fingerprint', md5('fp' || i) || md5('fq' || i),
              'epss', CASE WHEN i % 50 = 0 THEN jsonb_build_object('score', (i % 100) / 100.0, 'percentile', 0.9) ELSE 'null'::jsonb END,
              'kev', CASE WHEN i % 5000 = 0 THEN jsonb_build_object('cveId', 'CVE-2030-' || i, 'dateAdded', '2030-01-01', 'dueDate', '2030-02-01') ELSE 'null'::jsonb END),
            now() - (i % 60) * interval '1 day', now()
       FROM (SELECT i, (ARRAY['critical','high','medium','low','info'])[1 + (i * 7) % 5] AS sev FROM generate_series(1, $2::int) AS i) s`,
    [projectId, count],
  );
  await db.query(
    `INSERT INTO ref_findings (project_id, ref, finding_id, state, tools, first_seen_submission, last_seen_submission)
     SELECT project_id, 'main', id, 'open', tools, $2, $2 FROM findings WHERE project_id = $1 AND rule_id LIKE 'CVE-2030-%'`,
    [projectId, submissionId],
  );
  await db.query(
    `INSERT INTO occurrences (submission_id, finding_id, tool, report_index, matched_by, change, data)
     SELECT $2, id, 'trivy', 0, 'fingerprint', CASE WHEN random() < 0.01 THEN 'new' ELSE 'existing' END, NULL FROM findings WHERE project_id = $1 AND rule_id LIKE 'CVE-2030-%'`,
    [projectId, submissionId],
  );
}
