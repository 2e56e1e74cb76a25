// Vulnerability data reaching verdicts: after a KEV/EPSS update from the mirror, a report with a CVE
// CISA lists fails the built-in policy's known-exploited rule; findings, verdicts and reports carry
// KEV and EPSS, and the verdict names the age of ScanHub's data.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_DATA_OPTIONS, updateSources } from '../../src/data/index.js';
import { makeEpss, readRealKev, startDataMirror, type DataMirror } from '../fakes/data-mirror.js';
import { startTestApp, submissionForm, type TestApp } from '../helpers/app.js';
import { describeEachBackend } from '../helpers/db.js';

describeEachBackend('enriched verdicts', (backend) => {
  let app: TestApp;
  let mirror: DataMirror;
  const kevCve = String(readRealKev().vulnerabilities[0]!.cveID);

  beforeAll(async () => {
    mirror = await startDataMirror({ epss: makeEpss({ rows: [{ cve: kevCve, epss: 0.97531, percentile: 0.99912 }, { cve: 'CVE-2099-00001', epss: 0.00042, percentile: 0.1 }] }) });
    app = await startTestApp(backend, { env: { SCANHUB_KEV_URL: mirror.kevUrl, SCANHUB_EPSS_URL: mirror.epssUrl } });
    const results = await updateSources(app.db, { ...DEFAULT_DATA_OPTIONS, kevUrl: mirror.kevUrl, epssUrl: mirror.epssUrl, osvUrls: [], fetchTimeoutMs: 5_000, maxDownloadBytes: 8 * 1024 * 1024 }, { now: new Date(), sources: ['kev', 'epss'] });
    expect(results.map((r) => r.outcome)).toEqual(['updated', 'updated']);
  });
  afterAll(async () => {
    await app.close();
    await mirror.close();
  });

  it('fails a report with a known-exploited CVE and shows KEV, EPSS and data age', async () => {
    await app.api('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'kev' }) });
    const report = JSON.stringify({
      SchemaVersion: 2, ArtifactName: 'registry.example.com/kev:1', ArtifactType: 'container_image',
      Results: [{ Target: 'kev (debian 12)', Class: 'os-pkgs', Type: 'debian', Vulnerabilities: [
        { VulnerabilityID: kevCve, PkgName: 'git', InstalledVersion: '2.39.2', Severity: 'MEDIUM', Title: 'Git flaw' },
        { VulnerabilityID: 'CVE-2099-00001', PkgName: 'zlib', InstalledVersion: '1.2.13', Severity: 'LOW', Title: 'zlib flaw' },
      ] }],
    });
    const res = await app.api('/api/v1/projects/kev/submissions', { method: 'POST', body: submissionForm({ ref: 'main' }, [{ name: 'trivy.json', content: report }]) });
    const sub = (await res.json()) as { id: string; verdict: { outcome: string; rules: { id: string; triggered: boolean }[]; data: { source: string; stale: boolean }[] } };
    expect(sub.verdict.outcome).toBe('fail');
    expect(sub.verdict.rules.find((r) => r.id === 'known-exploited')?.triggered).toBe(true);
    expect(sub.verdict.data.map((d) => d.source).sort()).toEqual(['epss', 'kev', 'osv']);
    const findings = (await (await app.api('/api/v1/projects/kev/findings')).json()) as { items: { vulnerabilityIds: string[]; kev?: { dateAdded: string; dueDate: string }; epss?: { score: number; percentile: number } }[] };
    const known = findings.items.find((f) => f.vulnerabilityIds.includes(kevCve))!;
    expect(known.kev).toMatchObject({ dateAdded: expect.stringMatching(/^\d{4}-\d{2}-\d{2}/), dueDate: expect.stringMatching(/^\d{4}-\d{2}-\d{2}/) });
    expect(known.epss).toMatchObject({ score: 0.97531, percentile: 0.99912 });
    const html = await (await app.api(`/api/v1/submissions/${sub.id}/report`)).text();
    expect(html).toContain('class="tag kev">KEV</span>');
    expect(html).toContain('EPSS 0.975');
    expect(html).toContain('ScanHub KEV');
  });

  it('re-assesses stored verdicts when a CVE joins KEV: the verdict flips and the events fire, no rescan', async () => {
    const cve = 'CVE-2026-55555';
    await app.api('/api/v1/projects', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'later' }) });
    const report = JSON.stringify({
      SchemaVersion: 2, ArtifactName: 'registry.example.com/later:1', ArtifactType: 'container_image',
      Results: [{ Target: 'later (debian 12)', Class: 'os-pkgs', Type: 'debian', Vulnerabilities: [{ VulnerabilityID: cve, PkgName: 'openssl', InstalledVersion: '3.0.11', Severity: 'MEDIUM', Title: 'openssl flaw' }] }],
    });
    const sub = (await (await app.api('/api/v1/projects/later/submissions', { method: 'POST', body: submissionForm({ ref: 'main' }, [{ name: 'trivy.json', content: report }]) })).json()) as { id: string; verdict: { outcome: string } };
    expect(sub.verdict.outcome).toBe('pass');
    // CISA adds the CVE: a new catalogue on the mirror, then the update.
    const kev = readRealKev();
    const entry = { ...kev.vulnerabilities[0]!, cveID: cve, dateAdded: '2026-11-28', dueDate: '2026-12-19', vulnerabilityName: 'OpenSSL flaw' };
    mirror.set(new URL(mirror.kevUrl).pathname, JSON.stringify({ ...kev, catalogVersion: '2026.11.28', count: kev.count + 1, vulnerabilities: [...kev.vulnerabilities, entry] }));
    const res = await app.api('/api/v1/data/update', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ source: 'kev' }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { results: { outcome: string; kevAdded?: string[] }[]; reassessed: { changed: { submissionId: string; from: string; to: string }[] } };
    expect(body.results[0]).toMatchObject({ outcome: 'updated', kevAdded: [cve] });
    expect(body.reassessed.changed).toContainEqual(expect.objectContaining({ submissionId: sub.id, from: 'pass', to: 'fail' }));
    const verdict = (await (await app.api(`/api/v1/submissions/${sub.id}/verdict`)).json()) as { outcome: string; rules: { id: string; triggered: boolean }[] };
    expect(verdict.outcome).toBe('fail');
    expect(verdict.rules.find((r) => r.id === 'known-exploited')?.triggered).toBe(true);
    const events = (await app.db.query<{ type: string; payload: { cve?: string } }>(`SELECT type, payload FROM events WHERE type IN ('finding.kev_added', 'gate.changed') ORDER BY id`)).rows;
    expect(events.map((e) => e.type)).toEqual(['finding.kev_added', 'gate.changed']);
    expect(events[0]!.payload.cve).toBe(cve);
  });
});
