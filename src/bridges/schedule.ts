// Scheduled pulls: SonarQube and Nexus IQ integrations with pullIntervalMinutes > 0 pull their
// mapped projects once per interval — a safety net for webhooks that never arrived. Each interval
// slot is one job across all instances (enqueueOnce), and a pull of an analysis or IQ report
// already submitted replays instead of submitting twice.
import { z } from 'zod';
import { SONARQUBE_PULL_QUEUE } from '../../integrations/scanners/sonarqube/bridge.js';
import { NEXUSIQ_PULL_QUEUE } from '../../integrations/scanners/nexus-iq/bridge.js';
import { enqueueOnce } from '../jobs/queue.js';
import type { Queryable } from '../store/db.js';

// Only the non-secret mapping and scheduling fields, read straight from the stored settings (whose
// secrets are sealed apart): no key is needed to plan a pull.
export const storedSonarSettings = z.looseObject({
  pullIntervalMinutes: z.number().int().min(0).default(0),
  projects: z.array(z.looseObject({ sonarProject: z.string(), scanhubProject: z.string().optional(), branches: z.array(z.string()).optional() })).default([]),
  projectMapping: z.string().default('sonarqube/{project}'),
});
export const storedIqSettings = z.looseObject({
  pullIntervalMinutes: z.number().int().min(0).default(0),
  applications: z.looseObject({ map: z.record(z.string(), z.string()).default({}) }).default({ map: {} }),
  stages: z.array(z.string()).default(['build']),
});

/** Queues the pulls due at `now`; returns how many were queued by this call. */
export async function enqueueScheduledPulls(q: Queryable, now: Date): Promise<number> {
  const { rows } = await q.query<{ id: string; kind: string; config: unknown }>(`SELECT id, kind, config FROM integrations WHERE enabled AND kind IN ('sonarqube', 'nexus-iq')`);
  let queued = 0;
  for (const row of rows) {
    if (row.kind === 'sonarqube') {
      const settings = storedSonarSettings.safeParse(row.config);
      if (!settings.success || settings.data.pullIntervalMinutes === 0) continue;
      const slot = Math.floor(now.getTime() / (settings.data.pullIntervalMinutes * 60_000));
      for (const project of settings.data.projects) {
        for (const branch of project.branches ?? [undefined]) {
          const payload = { integrationId: row.id, sonarProject: project.sonarProject, ...(branch ? { branch } : {}), trigger: 'schedule' };
          if (await enqueueOnce(q, SONARQUBE_PULL_QUEUE, payload, `schedule:${row.id}:${project.sonarProject}:${branch ?? ''}:${slot}`)) queued++;
        }
      }
    } else {
      const settings = storedIqSettings.safeParse(row.config);
      if (!settings.success || settings.data.pullIntervalMinutes === 0) continue;
      const slot = Math.floor(now.getTime() / (settings.data.pullIntervalMinutes * 60_000));
      for (const application of Object.keys(settings.data.applications.map)) {
        for (const stage of settings.data.stages) {
          const payload = { integrationId: row.id, applicationPublicId: application, stage, trigger: 'schedule' };
          if (await enqueueOnce(q, NEXUSIQ_PULL_QUEUE, payload, `schedule:${row.id}:${application}:${stage}:${slot}`)) queued++;
        }
      }
    }
  }
  return queued;
}
