// Decides, without I/O, which stored finding each incoming finding is: by fingerprint first, then
// by an alias id under the same vulnerability key (package + version + target). Pure, so the
// rules are unit-testable; submit.ts loads its inputs and writes its output.
import { randomUUID } from 'node:crypto';
import type { Finding } from '../domain/finding.js';
import { vulnerabilityKey } from '../domain/identity.js';
import { mergeFindingViews, withFingerprint } from '../domain/merge.js';

export interface StoredFindingRef {
  id: string;
  fingerprint: string;
  tools: string[];
}

export interface IncomingFinding {
  finding: Finding;
  reportIndex: number;
  /** vulnerabilityKey(finding) when the caller already computed it (a hash per finding: worth not repeating). */
  vulnKey?: string | undefined;
}

export interface PlannedOccurrence {
  tool: string;
  reportIndex: number;
  duplicates: number;
  finding: Finding;
  /** This view is exactly the finding's data (its only source, nothing merged into it): stored once, not twice. */
  isFindingData?: boolean;
}

export interface PlannedFinding {
  id: string;
  fingerprint: string;
  isNewToProject: boolean;
  /** How the incoming items met this finding: "fingerprint", or "alias:<id>" for a cross-id merge. */
  matchedBy: string;
  vulnKey: string | undefined;
  data: Finding;
  tools: string[];
  occurrences: Map<string, PlannedOccurrence>;
  aliases: Set<string>;
  /** How many incoming items this finding's data was built from. */
  items: number;
}

export interface MergePlan {
  findings: PlannedFinding[];
  /** Exact duplicates inside one report, merged here rather than by the parser. */
  duplicatesMerged: number;
}

export function planMerge(
  incoming: readonly IncomingFinding[],
  stored: readonly StoredFindingRef[],
  storedAliases: readonly { vulnKey: string; alias: string; findingId: string }[],
): MergePlan {
  const byFingerprint = new Map<string, PlannedFinding>();
  const byAlias = new Map<string, PlannedFinding>();
  const storedById = new Map(stored.map((s) => [s.id, s]));
  const storedByFp = new Map(stored.map((s) => [s.fingerprint, s]));
  const planned: PlannedFinding[] = [];
  // Stored findings already taken into the plan, by id: a lookup, not a scan (reports have 100,000 items).
  const plannedById = new Map<string, PlannedFinding>();
  let duplicatesMerged = 0;

  const fromStored = (s: StoredFindingRef, first: Finding, firstKey: string | undefined, matchedBy: string): PlannedFinding => {
    const existing = plannedById.get(s.id);
    if (existing) return existing;
    const p: PlannedFinding = {
      id: s.id,
      fingerprint: s.fingerprint,
      isNewToProject: false,
      matchedBy,
      vulnKey: firstKey,
      data: first,
      tools: [...s.tools],
      occurrences: new Map(),
      aliases: new Set(),
      items: 0,
    };
    planned.push(p);
    plannedById.set(s.id, p);
    byFingerprint.set(s.fingerprint, p);
    return p;
  };

  const storedAliasIndex = new Map(storedAliases.map((a) => [`${a.vulnKey}|${a.alias}`, a.findingId]));

  for (const item of incoming) {
    const { finding, reportIndex } = item;
    const key = 'vulnKey' in item ? item.vulnKey : vulnerabilityKey(finding);
    let target = byFingerprint.get(finding.fingerprint);
    let fresh = false;
    if (!target) {
      const s = storedByFp.get(finding.fingerprint);
      if (s) target = fromStored(s, finding, key, 'fingerprint');
    }
    if (!target && key) {
      for (const id of finding.vulnerabilityIds) {
        const inSubmission = byAlias.get(`${key}|${id}`);
        if (inSubmission) {
          target = inSubmission;
          if (target.matchedBy === 'fingerprint') target.matchedBy = `alias:${id}`;
          break;
        }
        const storedId = storedAliasIndex.get(`${key}|${id}`);
        const s = storedId ? storedById.get(storedId) : undefined;
        if (s) {
          target = fromStored(s, finding, key, `alias:${id}`);
          break;
        }
      }
    }
    if (!target) {
      fresh = true;
      target = {
        id: randomUUID(),
        fingerprint: finding.fingerprint,
        isNewToProject: true,
        matchedBy: 'fingerprint',
        vulnKey: key,
        data: finding,
        tools: [],
        occurrences: new Map(),
        aliases: new Set(),
        items: 0,
      };
      planned.push(target);
      byFingerprint.set(finding.fingerprint, target);
    }
    if (!fresh) target.data = target.occurrences.size === 0 ? withFingerprint(finding, target.fingerprint) : mergeFindingViews(target.data, finding);
    target.items += 1;
    if (!target.tools.includes(finding.tool)) target.tools.push(finding.tool);
    const occ = target.occurrences.get(finding.tool);
    if (occ) {
      occ.duplicates += 1;
      duplicatesMerged += 1;
    } else {
      target.occurrences.set(finding.tool, { tool: finding.tool, reportIndex, duplicates: 1, finding });
    }
    if (key) {
      for (const id of finding.vulnerabilityIds) {
        target.aliases.add(id);
        if (!byAlias.has(`${key}|${id}`)) byAlias.set(`${key}|${id}`, target);
      }
    }
  }
  for (const p of planned) {
    p.data = withFingerprint(p.data, p.fingerprint);
    // One item, same fingerprint: the data is a copy of that item's view, key for key.
    if (p.items === 1) for (const o of p.occurrences.values()) o.isFindingData = o.finding.fingerprint === p.fingerprint;
  }
  return { findings: planned, duplicatesMerged };
}
