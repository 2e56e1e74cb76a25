// One finding: which tools reported it and which key merged their views (identity key, alias group),
// its history on every ref, CVSS / EPSS / KEV, references, the exceptions that cover it, and the form
// to request one.
import { Router } from 'express';
import { AppError } from '../../../errors.js';
import { knownExploitation } from '../../../domain/finding.js';
import { scopeCovers } from '../../../domain/exceptions.js';
import type { AppDeps } from '../../../http/deps.js';
import { authorize } from '../../../http/middleware/auth.js';
import { aliasGroupOf, findingRefStates, findingSightings, getFinding } from '../../../store/repositories/findings.js';
import { listExceptions } from '../../../store/repositories/exceptions.js';
import { getProject } from '../../../store/repositories/projects.js';
import { renderPage } from '../../page.js';
import { projectHref, uuidSchema, viewer, when, withQuery } from './common.js';
import { requestFormHtml, scopeText } from './triage.js';

const isHttp = (u: string) => /^https?:\/\//i.test(u);

export function findingPage({ db }: AppDeps): Router {
  const router = Router();
  router.get('/findings/:id', async (req, res) => {
    const id = viewer(res);
    if (!uuidSchema.safeParse(req.params.id).success) throw new AppError('NOT_FOUND', 'No such finding.');
    const finding = await getFinding(db, req.params.id);
    if (!finding) throw new AppError('NOT_FOUND', 'No such finding.');
    authorize(id, 'read', finding.projectId);
    const project = await getProject(db, finding.projectId);
    const [sightings, refs, aliases, exceptions] = await Promise.all([
      findingSightings(db, finding.id),
      findingRefStates(db, project.id, finding.id),
      aliasGroupOf(db, finding.vulnerabilityIds),
      listExceptions(db, { projectId: project.id }),
    ]);
    const { kev, epss } = knownExploitation(finding);
    const stored = finding as unknown as { kev?: { dateAdded?: string; dueDate?: string; knownRansomware?: boolean } | null; epss?: { percentile?: number } | null; aliases?: string[] };
    const covering = exceptions.filter((e) => (e.status === 'approved' || e.status === 'pending') && scopeCovers(e.scope, finding));
    const label = finding.vulnerabilityIds[0] ?? finding.ruleId;
    renderPage(
      res,
      'browse/finding',
      {
        title: `${label} · ${finding.title}`.slice(0, 200),
        nav: 'findings',
        crumbs: [
          { href: '/', label: 'Overview' },
          { href: projectHref(project.name), label: project.name },
          { href: withQuery('/findings', {}, { project: project.name }), label: 'Findings' },
        ],
      },
      {
        f: finding,
        label,
        project: { name: project.name, href: projectHref(project.name) },
        pkg: finding.package && { ...finding.package },
        where: finding.location,
        firstSeen: when(finding.firstSeenAt),
        lastSeen: when(finding.lastSeenAt),
        sightings: sightings.map((s) => ({ ...s, at: when(s.at), merged: s.matchedBy === 'fingerprint' ? 'identity key (fingerprint)' : s.matchedBy.replace(/^alias:/, 'alias ') })),
        identity: { fingerprint: finding.fingerprint, vulnKey: finding.vulnKey },
        aliases: aliases.map((a) => ({ ...a, own: finding.vulnerabilityIds.includes(a.alias) })),
        osvAliases: stored.aliases ?? [],
        refs: refs.map((r) => ({
          ...r,
          updated: when(r.updatedAt),
          firstHref: `/submissions/${r.firstSeenSubmission}`,
          lastHref: `/submissions/${r.lastSeenSubmission}`,
          fixedHref: r.fixedInSubmission ? `/submissions/${r.fixedInSubmission}` : null,
        })),
        cvss: finding.cvss ?? [],
        kev: kev ? { dateAdded: stored.kev?.dateAdded ?? '', dueDate: stored.kev?.dueDate ?? '', ransomware: stored.kev?.knownRansomware === true } : null,
        epss: epss === undefined ? null : { score: epss.toFixed(4), percentile: stored.epss?.percentile === undefined ? null : (stored.epss.percentile * 100).toFixed(1) },
        references: finding.references.map((r) => ({ url: r, link: isHttp(r) })),
        exceptions: covering.map((e) => ({ ...e, kind: e.kind.replace('_', ' '), scopeText: scopeText(e.scope), expires: e.expiresAt ? when(e.expiresAt) : 'never' })),
        requestForm: requestFormHtml(res, project.name, [finding]),
      },
    );
  });
  return router;
}
