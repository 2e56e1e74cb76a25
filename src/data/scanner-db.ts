// The scanners' databases, driven from ScanHub: Xray's DB sync status read (and a sync started) for
// every JFrog integration, and the date Xray's data was last updated recorded for verdicts.
import { jfrogConnection } from '../../integrations/scanners/xray/connection.js';
import { XrayClient } from '../../integrations/scanners/xray/client.js';
import { IntegrationError } from '../plugins/integration-error.js';
import type { Outbound } from '../security/outbound.js';
import type { SecretBox } from '../security/secrets.js';
import type { Database, Queryable } from '../store/db.js';
import { loadIntegrationSecrets } from '../store/repositories/integrations.js';

export interface ScannerDbResult {
  tool: 'xray';
  instance: string;
  outcome: 'checked' | 'sync-started' | 'failed';
  lastUpdated: string | null;
  state: string | null;
  syncMode: string | null;
  reason?: string | undefined;
}

interface XrayStatus {
  last_updated?: string;
  state?: string;
  sync_mode?: string;
  status?: string;
}

export async function syncXrayDatabases(db: Database, deps: { secrets: SecretBox | undefined; outbound: Outbound }, options: { trigger: boolean; now: Date }): Promise<ScannerDbResult[]> {
  const { rows } = await db.query<{ id: string; name: string }>(`SELECT id, name FROM integrations WHERE kind = 'jfrog' AND enabled ORDER BY name`);
  const results: ScannerDbResult[] = [];
  for (const row of rows) {
    const settings = await loadIntegrationSecrets<{ baseUrl: string; accessToken: string }>(db, deps.secrets, jfrogConnection, row.id);
    const client = new XrayClient({ baseUrl: settings.baseUrl, accessToken: settings.accessToken, outbound: deps.outbound, retry: { attempts: 3 } });
    try {
      let outcome: ScannerDbResult['outcome'] = 'checked';
      if (options.trigger) {
        await client.triggerDbSync();
        outcome = 'sync-started';
      }
      const status = ((await client.dbSyncStatus()) ?? {}) as XrayStatus;
      const lastUpdated = status.last_updated && !Number.isNaN(Date.parse(status.last_updated)) ? new Date(status.last_updated) : null;
      await db.query(
        `INSERT INTO scanner_databases (tool, instance, last_updated, state, sync_mode, detail, checked_at) VALUES ('xray', $1, $2, $3, $4, $5, $6)
         ON CONFLICT (tool, instance) DO UPDATE SET last_updated = EXCLUDED.last_updated, state = EXCLUDED.state, sync_mode = EXCLUDED.sync_mode, detail = EXCLUDED.detail, checked_at = EXCLUDED.checked_at`,
        [row.name, lastUpdated, status.state ?? null, status.sync_mode ?? null, JSON.stringify({ status: status.status ?? null }), options.now],
      );
      results.push({ tool: 'xray', instance: row.name, outcome, lastUpdated: lastUpdated?.toISOString() ?? null, state: status.state ?? null, syncMode: status.sync_mode ?? null });
    } catch (error) {
      if (!(error instanceof IntegrationError)) throw error;
      results.push({ tool: 'xray', instance: row.name, outcome: 'failed', lastUpdated: null, state: null, syncMode: null, reason: `${error.code}: ${error.message}` });
    } finally {
      await client.close();
    }
  }
  return results;
}

/** The scanners' databases as last seen, with their age, for verdicts and reports. */
export async function scannerDatabaseAges(q: Queryable, now: Date, staleAfterMs: number): Promise<{ source: string; version: string | null; checkedAt: string | null; ageDays: number | null; stale: boolean }[]> {
  const { rows } = await q.query<{ tool: string; instance: string; last_updated: Date | null; sync_mode: string | null }>(`SELECT tool, instance, last_updated, sync_mode FROM scanner_databases ORDER BY tool, instance`);
  return rows.map((r) => {
    const updated = r.last_updated ? new Date(r.last_updated) : null;
    return {
      source: `${r.tool}:${r.instance}`,
      version: r.sync_mode,
      checkedAt: updated?.toISOString() ?? null,
      ageDays: updated ? Math.floor((now.getTime() - updated.getTime()) / 86_400_000) : null,
      stale: !updated || now.getTime() - updated.getTime() > staleAfterMs,
    };
  });
}
