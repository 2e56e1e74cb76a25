// The plugin registry: hand-kept, alphabetical, one line per plugin. Adding a scanner is one folder
// under integrations/scanners/<id>/ and one line here; test/contract checks every entry.
import type { ConnectionSpec } from '../src/plugins/connection.js';
import type { NotifierPlugin } from '../src/plugins/notifier.js';
import type { ScannerPlugin } from '../src/plugins/scanner.js';
import type { Outbound } from '../src/security/outbound.js';
import { XrayClient } from './scanners/xray/client.js';
import { emailNotifier } from './notifiers/email/index.js';
import { slackNotifier } from './notifiers/slack/index.js';
import { smsNotifier } from './notifiers/sms/index.js';
import { teamsNotifier } from './notifiers/teams/index.js';
import { webhookNotifier } from './notifiers/webhook/index.js';
import { gitlabConnection } from './ci/gitlab/connection.js';
import { jenkinsConnection } from './ci/jenkins/connection.js';
import { emailConnection } from './notifiers/email/connection.js';
import { slackConnection } from './notifiers/slack/connection.js';
import { smsConnection } from './notifiers/sms/connection.js';
import { teamsConnection } from './notifiers/teams/connection.js';
import { webhookConnection } from './notifiers/webhook/connection.js';
import { bandit } from './scanners/bandit/index.js';
import { cyclonedx } from './scanners/cyclonedx/index.js';
import { dependencyCheck } from './scanners/dependency-check/index.js';
import { gitlabSecurityReport } from './scanners/gitlab-security-report/index.js';
import { grype } from './scanners/grype/index.js';
import { npmAudit } from './scanners/npm-audit/index.js';
import { osvScanner } from './scanners/osv-scanner/index.js';
import { sarif } from './scanners/sarif/index.js';
import { semgrep } from './scanners/semgrep/index.js';
import { trivy } from './scanners/trivy/index.js';
import { xray } from './scanners/xray/index.js';
import { jfrogConnection } from './scanners/xray/connection.js';

export const scanners: readonly ScannerPlugin[] = [
  bandit,
  cyclonedx,
  dependencyCheck,
  gitlabSecurityReport,
  grype,
  npmAudit,
  osvScanner,
  sarif,
  semgrep,
  trivy,
  xray,
];

/** Systems ScanHub holds credentials for: integrations (JFrog, GitLab, Jenkins) and notification channels. */
export const connections: readonly ConnectionSpec[] = [
  emailConnection,
  gitlabConnection,
  jenkinsConnection,
  jfrogConnection,
  slackConnection,
  smsConnection,
  teamsConnection,
  webhookConnection,
];

/** Notification channels: one folder under integrations/notifiers/<id>/ each. */
export const notifiers: readonly NotifierPlugin<never>[] = [emailNotifier, slackNotifier, smsNotifier, teamsNotifier, webhookNotifier] as unknown as NotifierPlugin<never>[];

/** verify() of each integration kind: reachability, authentication and permission, each its own check. */
export type VerifyResult = { checks: { name: string; ok: boolean; code?: string | undefined; message: string }[] };
export const integrationVerifiers: Readonly<Record<string, (settings: Record<string, unknown>, outbound: Outbound) => Promise<VerifyResult>>> = {
  jfrog: async (settings, outbound) => {
    const client = new XrayClient({ baseUrl: String(settings.baseUrl), accessToken: String(settings.accessToken), outbound, retry: { attempts: 2 } });
    try {
      return await client.verify();
    } finally {
      await client.close();
    }
  },
};
