// Integrations an operator declares in the environment (SCANHUB_JFROG_*): created or updated on
// start as "default", so a container needs no API call to be wired to JFrog.
import { jfrogConnection } from '../integrations/scanners/xray/connection.js';
import type { Config } from './config/schema.js';
import { ConfigError } from './config/load.js';
import type { SecretBox } from './security/secrets.js';
import { audit } from './store/audit.js';
import type { Database } from './store/db.js';
import { createIntegration, updateIntegration } from './store/repositories/integrations.js';

export async function bootstrapIntegrations(db: Database, config: Config, secrets: SecretBox | undefined): Promise<string | undefined> {
  if (!config.jfrogUrl && !config.jfrogToken) return undefined;
  if (!config.jfrogUrl || !config.jfrogToken) throw new ConfigError('Set both SCANHUB_JFROG_URL and SCANHUB_JFROG_TOKEN to bootstrap the JFrog integration.');
  const settings = { baseUrl: config.jfrogUrl, accessToken: config.jfrogToken, ...(config.jfrogWebhookSecret ? { webhookSecret: config.jfrogWebhookSecret } : {}) };
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string; config: Record<string, unknown> }>(`SELECT id, config FROM integrations WHERE kind = 'jfrog' AND name = 'default' FOR UPDATE`);
    if (rows[0]) {
      const { __secretsSet: _names, ...kept } = rows[0].config;
      const change = await updateIntegration(tx, secrets, jfrogConnection, rows[0].id, { name: 'default', config: { ...kept, ...settings } });
      await audit(tx, { actor: 'environment', action: 'integration.update', targetType: 'jfrog', targetId: rows[0].id, before: change.before, after: change.after });
      return rows[0].id;
    }
    const created = await createIntegration(tx, secrets, jfrogConnection, { name: 'default', config: settings }, 'environment');
    await audit(tx, { actor: 'environment', action: 'integration.create', targetType: 'jfrog', targetId: created.id, after: created });
    return created.id;
  });
}
