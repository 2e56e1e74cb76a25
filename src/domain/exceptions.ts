// Exceptions (DESIGN §5): the false-positive / accepted-risk / not-affected protocol. Pure parts:
// the shape of a request, which findings a scope covers, and whether an exception is in force.
import picomatch from 'picomatch';
import semver from 'semver';
import { z } from 'zod';
import { isoTimestamp } from './timestamp.js';
import type { Finding } from './finding.js';
import { imageRepository, packageIdentity } from './identity.js';

export const EXCEPTION_KINDS = ['false_positive', 'accepted_risk', 'not_affected'] as const;
export type ExceptionKind = (typeof EXCEPTION_KINDS)[number];

/** CycloneDX / OpenVEX justifications for not_affected. */
export const VEX_JUSTIFICATIONS = [
  'code_not_present',
  'code_not_reachable',
  'requires_configuration',
  'requires_dependency',
  'requires_environment',
  'protected_by_compiler',
  'protected_at_runtime',
  'protected_at_perimeter',
  'protected_by_mitigating_control',
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'vulnerable_code_not_in_execute_path',
  'inline_mitigations_already_exist',
] as const;

export const exceptionScopeSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('finding'), fingerprint: z.string().regex(/^[0-9a-f]{64}$/, 'a finding fingerprint (64 hex)') }),
  z.strictObject({ type: z.literal('vulnerability'), id: z.string().min(3).max(100) }),
  z.strictObject({
    type: z.literal('package'),
    name: z.string().min(1).max(300),
    ecosystem: z.string().max(50).optional(),
    /** A semver range ("<2.0.0", ">=1.2 <1.4") or exact versions; absent: every version. */
    versions: z.string().max(200).optional(),
    vulnerabilityId: z.string().max(100).optional(),
  }),
  z.strictObject({ type: z.literal('path'), glob: z.string().min(1).max(500), ruleId: z.string().max(300).optional() }),
  z.strictObject({ type: z.literal('image'), repository: z.string().min(1).max(500), vulnerabilityId: z.string().max(100).optional() }),
  z.strictObject({ type: z.literal('project') }),
]);
export type ExceptionScope = z.infer<typeof exceptionScopeSchema>;

export const exceptionRequestSchema = z
  .strictObject({
    kind: z.enum(EXCEPTION_KINDS),
    justification: z.enum(VEX_JUSTIFICATIONS).optional(),
    reason: z.string().trim().min(3, 'say why (reason is required)').max(4000),
    owner: z.string().trim().min(1, 'an owner is required').max(200),
    expiresAt: isoTimestamp.optional(),
    scope: exceptionScopeSchema,
    /** Project name or id; absent only for organisation-wide exceptions (admin/security). */
    project: z.string().min(1).optional(),
  })
  .refine((e) => e.kind !== 'accepted_risk' || e.expiresAt, { message: 'accepted_risk needs expiresAt', path: ['expiresAt'] })
  .refine((e) => e.kind !== 'not_affected' || e.justification, { message: 'not_affected needs a VEX justification', path: ['justification'] });
export type ExceptionRequest = z.infer<typeof exceptionRequestSchema>;

export interface StoredException {
  id: string;
  projectId: string | null;
  kind: ExceptionKind;
  justification: string | null;
  reason: string;
  owner: string;
  scope: ExceptionScope;
  expiresAt: Date | null;
  status: 'pending' | 'approved' | 'rejected' | 'revoked';
}

/** Whether a request needs a security role's approval: anything wider than one finding does. */
export function needsApproval(scope: ExceptionScope): boolean {
  return scope.type !== 'finding';
}

function versionInRange(version: string | undefined, range: string | undefined): boolean {
  if (!range) return true;
  if (!version) return false;
  const exact = range.split(/\s*,\s*/);
  if (exact.includes(version)) return true;
  const coerced = semver.coerce(version, { loose: true });
  if (!coerced || !semver.validRange(range, { loose: true })) return false;
  return semver.satisfies(coerced, range, { loose: true, includePrerelease: true });
}

const sameId = (f: Finding, id: string | undefined) =>
  !id || f.ruleId.toUpperCase() === id.toUpperCase() || f.vulnerabilityIds.some((v) => v.toUpperCase() === id.toUpperCase());

/** Whether the exception's scope covers the finding (project scoping is the caller's query). */
export function scopeCovers(scope: ExceptionScope, f: Finding): boolean {
  switch (scope.type) {
    case 'finding':
      return f.fingerprint === scope.fingerprint;
    case 'vulnerability':
      return sameId(f, scope.id);
    case 'package': {
      if (!f.package) return false;
      const wanted = packageIdentity({ name: scope.name, ecosystem: scope.ecosystem });
      const nameMatches = scope.ecosystem ? packageIdentity({ ...f.package, purl: f.package.purl }) === wanted : f.package.name.toLowerCase() === scope.name.toLowerCase();
      return nameMatches && versionInRange(f.package.version, scope.versions) && sameId(f, scope.vulnerabilityId);
    }
    case 'path':
      return !!f.location?.path && picomatch(scope.glob, { dot: true })(f.location.path) && (!scope.ruleId || f.ruleId === scope.ruleId);
    case 'image':
      return !!f.location?.image && imageRepository(f.location.image) === imageRepository(scope.repository) && sameId(f, scope.vulnerabilityId);
    case 'project':
      return true;
  }
}

export interface ExceptionMatch {
  active?: StoredException;
  expired: StoredException[];
}

/** The approved exception in force for a finding (narrowest scope first), and expired ones that matched. */
export function matchExceptions(exceptions: readonly StoredException[], f: Finding, now: Date): ExceptionMatch {
  const order: ExceptionScope['type'][] = ['finding', 'vulnerability', 'package', 'path', 'image', 'project'];
  const covering = exceptions
    .filter((e) => e.status === 'approved' && scopeCovers(e.scope, f))
    .sort((a, b) => order.indexOf(a.scope.type) - order.indexOf(b.scope.type));
  const inForce = covering.filter((e) => !e.expiresAt || e.expiresAt.getTime() > now.getTime());
  const expired = covering.filter((e) => e.expiresAt && e.expiresAt.getTime() <= now.getTime());
  return { ...(inForce[0] ? { active: inForce[0] } : {}), expired: inForce.length ? [] : expired };
}
