// A SonarQube server (Server 9.x–2025.x or SonarQube Cloud): REST out (client.ts), analysis
// webhooks in (webhook.ts), and which SonarQube projects feed which ScanHub projects.
import { z } from 'zod';
import { defineConnection } from '../../../src/plugins/connection.js';
import { httpUrl, secret } from '../../../src/plugins/connection-fields.js';

/** SonarQube project keys: letters, digits, '-', '_', '.', ':' with at least one non-digit. */
const projectKey = z.string().trim().min(1).max(400).regex(/^(?!\d+$)[\w.:-]+$/, 'a SonarQube project key (letters, digits, - _ . :)');

export const sonarqubeConnection = defineConnection({
  kind: 'sonarqube',
  family: 'integration',
  name: 'SonarQube',
  configSchema: z.strictObject({
    url: httpUrl.describe('Server URL, e.g. https://sonar.example.com (https://sonarcloud.io for SonarQube Cloud)'),
    token: secret.describe('User token with Browse on the projects (My Account → Security)'),
    webhookSecret: secret.optional().describe('The secret set on the SonarQube webhook (HMAC-SHA256 signature)'),
    organization: z.string().trim().min(1).max(255).optional().describe('SonarQube Cloud organization key'),
    projects: z
      .array(
        z.strictObject({
          sonarProject: projectKey,
          /** The ScanHub project its findings go to; default from `projectMapping`. */
          scanhubProject: z.string().trim().min(1).max(200).optional(),
          /** Branches to pull (on webhook and schedule); default: the main branch only. */
          branches: z.array(z.string().min(1).max(255)).max(50).optional(),
          pullRequests: z.boolean().default(false),
        }),
      )
      .max(500)
      .default([]),
    /** ScanHub project name for a SonarQube project without `scanhubProject`: {project} is its key with ':' → '/'. */
    projectMapping: z.string().min(1).max(200).default('sonarqube/{project}'),
    /** `security`: vulnerabilities and SECURITY-impact issues, plus hotspots; `all` adds bugs and code smells (category other). */
    issueScope: z.enum(['security', 'all']).default('security'),
    /** Scheduled pulls catch analyses whose webhook was missed; 0 turns them off. */
    pullIntervalMinutes: z.number().int().min(0).max(10_080).default(0),
    requestsPerSecond: z.number().positive().max(100).default(10),
  }),
  secretFields: ['token', 'webhookSecret'],
  urlFields: ['url'],
});

/** The ScanHub project a SonarQube project's findings go to. */
export function scanhubProjectFor(config: { projects: { sonarProject: string; scanhubProject?: string | undefined }[]; projectMapping: string }, sonarProject: string): string {
  const listed = config.projects.find((p) => p.sonarProject === sonarProject);
  return listed?.scanhubProject ?? config.projectMapping.replaceAll('{project}', sonarProject.replaceAll(':', '/'));
}
