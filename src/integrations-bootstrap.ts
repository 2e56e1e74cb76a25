// Integrations an operator declares in the environment (SCANHUB_JFROG_*, SCANHUB_SONARQUBE_*,
// SCANHUB_NEXUSIQ_*): created or updated on start as "default", so a container needs no API call to
// be wired to its scanners.
import { jfrogConnection } from '../integrations/scanners/xray/connection.js';
import { sonarqubeConnection } from '../integrations/scanners/sonarqube/connection.js';
import { nexusIqConnection } from '../integrations/scanners/nexus-iq/connection.js';
import type { ConnectionSpec } from './plugins/connection.js';
import type { Config } from './config/schema.js';
import { ConfigError } from './config/load.js';
import type { SecretBox } from './security/secrets.js';
import { audit } from './store/audit.js';
import type { Database } from './store/db.js';
import { createIntegration, updateIntegration } from './store/repositories/integrations.js';

interface Declared {
  spec: ConnectionSpec;
  /** Settings from the environment; undefined values are left out. */
  settings: Record<string, string | undefined>;
  /** The variables that must all be set once any is. */
  required: Record<string, string | undefined>;
}

function declared(config: Config): Declared[] {
  return [
    {
      spec: jfrogConnection,
      settings: { baseUrl: config.jfrogUrl, accessToken: config.jfrogToken, webhookSecret: config.jfrogWebhookSecret },
      required: { SCANHUB_JFROG_URL: config.jfrogUrl, SCANHUB_JFROG_TOKEN: config.jfrogToken },
    },
    {
      spec: sonarqubeConnection,
      settings: { url: config.sonarqubeUrl, token: config.sonarqubeToken, webhookSecret: config.sonarqubeWebhookSecret },
      required: { SCANHUB_SONARQUBE_URL: config.sonarqubeUrl, SCANHUB_SONARQUBE_TOKEN: config.sonarqubeToken },
    },
    {
      spec: nexusIqConnection,
      settings: { url: config.nexusIqUrl, user: config.nexusIqUser, token: config.nexusIqToken, webhookSecret: config.nexusIqWebhookSecret },
      required: { SCANHUB_NEXUSIQ_URL: config.nexusIqUrl, SCANHUB_NEXUSIQ_USER: config.nexusIqUser, SCANHUB_NEXUSIQ_TOKEN: config.nexusIqToken },
    },
  ];
}

/** Hosts of the integrations the operator declared: trusted by the outbound guard. */
export function operatorUrls(config: Config): string[] {
  return [config.jfrogUrl, config.sonarqubeUrl, config.nexusIqUrl, config.gitlabUrl].filter((u): u is string => Boolean(u));
}

export async function bootstrapIntegrations(db: Database, config: Config, secrets: SecretBox | undefined): Promise<string[]> {
  const ids: string[] = [];
  for (const { spec, settings, required } of declared(config)) {
    const names = Object.keys(required);
    const missing = names.filter((n) => !required[n]);
    if (missing.length === names.length) continue;
    if (missing.length) throw new ConfigError(`Set ${names.join(', ')} together to bootstrap the ${spec.name} integration (missing: ${missing.join(', ')}).`);
    const given = Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined));
    try {
      ids.push(await upsertDefault(db, secrets, spec, given));
    } catch (error) {
      // Several instances starting together: one created "default" first; update it instead.
      if ((error as { code?: string }).code !== '23505') throw error;
      ids.push(await upsertDefault(db, secrets, spec, given));
    }
  }
  return ids;
}

async function upsertDefault(db: Database, secrets: SecretBox | undefined, spec: ConnectionSpec, settings: Record<string, unknown>): Promise<string> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string; config: Record<string, unknown> }>(`SELECT id, config FROM integrations WHERE kind = $1 AND name = 'default' FOR UPDATE`, [spec.kind]);
    if (rows[0]) {
      // Settings made through the API (mappings, schedules) stay; the environment's own fields win.
      const { __secretsSet: _names, ...kept } = rows[0].config;
      const change = await updateIntegration(tx, secrets, spec, rows[0].id, { name: 'default', config: { ...kept, ...settings } });
      await audit(tx, { actor: 'environment', action: 'integration.update', targetType: spec.kind, targetId: rows[0].id, before: change.before, after: change.after });
      return rows[0].id;
    }
    const created = await createIntegration(tx, secrets, spec, { name: 'default', config: settings }, 'environment');
    await audit(tx, { actor: 'environment', action: 'integration.create', targetType: spec.kind, targetId: created.id, after: created });
    return created.id;
  });
}
