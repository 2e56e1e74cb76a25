// Stored connections (integrations and notification channels). Secret fields are split off the
// settings, sealed together with AES-256-GCM bound to the row id, and never leave this module in
// clear except through loadIntegrationSecrets(), which only the code that calls out uses.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import type { ConnectionSpec } from '../../plugins/connection.js';
import { SecretBoxError, type SecretBox } from '../../security/secrets.js';
import type { Queryable } from '../db.js';

/** What API responses show in place of a stored secret; sending it back keeps the stored value. */
export const SECRET_MASK = '********';

export interface IntegrationView {
  id: string;
  kind: string;
  family: string;
  name: string;
  projectId: string | null;
  enabled: boolean;
  /** Settings with each set secret replaced by SECRET_MASK. */
  config: Record<string, unknown>;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface IntegrationInput {
  name: string;
  projectId?: string | null | undefined;
  enabled?: boolean | undefined;
  config: Record<string, unknown>;
}

interface Row {
  id: string;
  kind: string;
  name: string;
  project_id: string | null;
  enabled: boolean;
  config: Record<string, unknown>;
  sealed_secrets: string | null;
  key_id: string | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
}

const context = (id: string) => `integration:${id}`;

function validationError(error: z.ZodError, kind: string): AppError {
  return new AppError('VALIDATION_FAILED', `The ${kind} settings are not valid.`, {
    // Paths and rules only: a rejected value may be a secret.
    issues: error.issues.map((i) => ({ path: ['config', ...i.path].join('.'), message: i.message })),
  });
}

/** Splits validated settings into plain settings and secrets (only the ones that are set). */
function split(spec: ConnectionSpec, full: Record<string, unknown>): { plain: Record<string, unknown>; secrets: Record<string, string> } {
  const plain: Record<string, unknown> = {};
  const secrets: Record<string, string> = {};
  const secretSet = new Set<string>(spec.secretFields);
  for (const [key, value] of Object.entries(full)) {
    if (!secretSet.has(key)) plain[key] = value;
    else if (typeof value === 'string') secrets[key] = value;
  }
  return { plain, secrets };
}

function seal(box: SecretBox | undefined, id: string, secrets: Record<string, string>): { sealed: string | null; keyId: string | null } {
  if (Object.keys(secrets).length === 0) return { sealed: null, keyId: null };
  if (!box) throw new AppError('SECRET_KEY_MISSING');
  return { sealed: box.encrypt(JSON.stringify(secrets), context(id)), keyId: box.currentKeyId };
}

function unseal(box: SecretBox | undefined, row: Pick<Row, 'id' | 'sealed_secrets'>): Record<string, string> {
  if (!row.sealed_secrets) return {};
  if (!box) throw new AppError('SECRET_KEY_MISSING', 'ScanHub has no secret key configured, so it cannot read the stored credentials.');
  try {
    return JSON.parse(box.decrypt(row.sealed_secrets, context(row.id))) as Record<string, string>;
  } catch (error) {
    if (error instanceof SecretBoxError) throw new AppError('SECRET_UNREADABLE', `${error.message} (integration ${row.id})`);
    throw error;
  }
}

function view(spec: ConnectionSpec | undefined, row: Row): IntegrationView {
  const config = { ...row.config };
  // The sealed blob says which secrets are set without decrypting: their names are stored beside it.
  for (const name of (row.config.__secretsSet as string[] | undefined) ?? []) config[name] = SECRET_MASK;
  delete config.__secretsSet;
  return {
    id: row.id,
    kind: row.kind,
    family: spec?.family ?? 'integration',
    name: row.name,
    projectId: row.project_id,
    enabled: row.enabled,
    config,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

function stored(plain: Record<string, unknown>, secrets: Record<string, string>): Record<string, unknown> {
  return { ...plain, __secretsSet: Object.keys(secrets).sort() };
}

const COLUMNS = 'id, kind, name, project_id, enabled, config, sealed_secrets, key_id, created_by, created_at, updated_at';

export async function createIntegration(q: Queryable, box: SecretBox | undefined, spec: ConnectionSpec, input: IntegrationInput, actor: string): Promise<IntegrationView> {
  const parsed = spec.configSchema.safeParse(input.config);
  if (!parsed.success) throw validationError(parsed.error, spec.kind);
  const id = randomUUID();
  const { plain, secrets } = split(spec, parsed.data as Record<string, unknown>);
  const { sealed, keyId } = seal(box, id, secrets);
  const { rows } = await q.query<Row>(
    `INSERT INTO integrations (id, kind, name, project_id, enabled, config, sealed_secrets, key_id, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (kind, name) DO NOTHING RETURNING ${COLUMNS}`,
    [id, spec.kind, input.name, input.projectId ?? null, input.enabled ?? true, JSON.stringify(stored(plain, secrets)), sealed, keyId, actor],
  );
  if (!rows[0]) throw new AppError('CONFLICT', `A ${spec.kind} integration named "${input.name}" exists already.`);
  return view(spec, rows[0]);
}

async function row(q: Queryable, kind: string, id: string, lock = false): Promise<Row> {
  if (!z.uuid().safeParse(id).success) throw new AppError('INTEGRATION_NOT_FOUND');
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM integrations WHERE id = $1 AND kind = $2${lock ? ' FOR UPDATE' : ''}`, [id, kind]);
  if (!rows[0]) throw new AppError('INTEGRATION_NOT_FOUND', `No ${kind} integration ${id}.`);
  return rows[0];
}

export async function getIntegration(q: Queryable, spec: ConnectionSpec, id: string): Promise<IntegrationView> {
  return view(spec, await row(q, spec.kind, id));
}

export async function listIntegrations(q: Queryable, specs: readonly ConnectionSpec[], projectId?: string | null): Promise<IntegrationView[]> {
  const kinds = specs.map((s) => s.kind);
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM integrations WHERE kind = ANY($1) ${projectId ? 'AND (project_id IS NULL OR project_id = $2)' : ''} ORDER BY kind, name`,
    projectId ? [kinds, projectId] : [kinds],
  );
  return rows.map((r) => view(specs.find((s) => s.kind === r.kind), r));
}

/**
 * Replaces the settings. A secret field that is absent or equal to SECRET_MASK keeps its stored
 * value (so a client can send back what it read); null removes an optional secret.
 */
export async function updateIntegration(
  q: Queryable,
  box: SecretBox | undefined,
  spec: ConnectionSpec,
  id: string,
  input: IntegrationInput,
): Promise<{ before: IntegrationView; after: IntegrationView }> {
  const current = await row(q, spec.kind, id, true);
  const merged: Record<string, unknown> = { ...input.config };
  const keep = spec.secretFields.some((f) => merged[f] === undefined || merged[f] === SECRET_MASK);
  const existing = keep ? unseal(box, current) : {};
  for (const field of spec.secretFields) {
    if (merged[field] === undefined || merged[field] === SECRET_MASK) {
      if (existing[field] !== undefined) merged[field] = existing[field];
      else delete merged[field];
    } else if (merged[field] === null) {
      delete merged[field];
    }
  }
  const parsed = spec.configSchema.safeParse(merged);
  if (!parsed.success) throw validationError(parsed.error, spec.kind);
  const { plain, secrets } = split(spec, parsed.data as Record<string, unknown>);
  const { sealed, keyId } = seal(box, id, secrets);
  const { rows } = await q.query<Row>(
    `UPDATE integrations SET name = $2, project_id = $3, enabled = $4, config = $5, sealed_secrets = $6, key_id = $7, updated_at = now()
      WHERE id = $1 RETURNING ${COLUMNS}`,
    [id, input.name, input.projectId ?? null, input.enabled ?? current.enabled, JSON.stringify(stored(plain, secrets)), sealed, keyId],
  );
  return { before: view(spec, current), after: view(spec, rows[0]!) };
}

export async function deleteIntegration(q: Queryable, spec: ConnectionSpec, id: string): Promise<IntegrationView> {
  const current = await row(q, spec.kind, id, true);
  await q.query(`DELETE FROM integrations WHERE id = $1`, [id]);
  return view(spec, current);
}

/** The full settings, secrets in clear, for the code that calls the external system. */
export async function loadIntegrationSecrets<T = Record<string, unknown>>(q: Queryable, box: SecretBox | undefined, spec: ConnectionSpec, id: string): Promise<T> {
  const current = await row(q, spec.kind, id);
  const config = { ...current.config, ...unseal(box, current) };
  delete config.__secretsSet;
  return config as T;
}

/** Sealed values per key id, to tell an operator what a rotation still has to do. */
export async function sealedByKey(q: Queryable): Promise<Record<string, number>> {
  const { rows } = await q.query<{ key_id: string; n: number }>(`SELECT key_id, count(*)::int AS n FROM integrations WHERE key_id IS NOT NULL GROUP BY key_id`);
  return Object.fromEntries(rows.map((r) => [r.key_id, r.n]));
}

/**
 * Re-encrypts every sealed value not under the box's current key, a row at a time (each in its own
 * short transaction, skipping rows another rotation holds), so serving never stops.
 */
export async function rotateSealedSecrets(db: { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> }, box: SecretBox): Promise<{ rotated: number }> {
  let rotated = 0;
  for (;;) {
    const done = await db.transaction(async (tx) => {
      const { rows } = await tx.query<Row>(
        `SELECT ${COLUMNS} FROM integrations WHERE key_id IS NOT NULL AND key_id <> $1 ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED`,
        [box.currentKeyId],
      );
      const current = rows[0];
      if (!current) return true;
      const secrets = unseal(box, current);
      await tx.query(`UPDATE integrations SET sealed_secrets = $2, key_id = $3 WHERE id = $1`, [current.id, box.encrypt(JSON.stringify(secrets), context(current.id)), box.currentKeyId]);
      return false;
    });
    if (done) return { rotated };
    rotated++;
  }
}
