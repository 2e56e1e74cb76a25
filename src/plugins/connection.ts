// Connections: the external systems ScanHub holds credentials for (JFrog, GitLab, Jenkins instances,
// notification channels). Each plugin declares its settings as zod and names which fields are
// secrets (sealed at rest, never returned) and which are URLs (checked by the outbound guard on use).
import type { z } from 'zod';

export type ConnectionFamily = 'integration' | 'channel';

export interface ConnectionSpec<Schema extends z.ZodObject = z.ZodObject> {
  /** Stable id, e.g. "jfrog", "gitlab", "email". Unique across families. */
  readonly kind: string;
  readonly family: ConnectionFamily;
  readonly name: string;
  /** Every setting, secrets included, as the API accepts it. */
  readonly configSchema: Schema;
  /** Top-level fields of the config that are credentials. */
  readonly secretFields: readonly (keyof z.output<Schema> & string)[];
  /** Top-level fields that hold user-set URLs (checked against SCANHUB_OUTBOUND_ALLOW on use). */
  readonly urlFields: readonly (keyof z.output<Schema> & string)[];
}

/** Declares a spec with its field names checked against the schema. */
export function defineConnection<Schema extends z.ZodObject>(spec: ConnectionSpec<Schema>): ConnectionSpec<Schema> {
  return spec;
}
