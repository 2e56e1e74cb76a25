// The plugin registry: hand-kept, alphabetical, one line per plugin. Adding a scanner is one folder
// under integrations/scanners/<id>/ and one line here; test/contract checks every entry.
import type { ConnectionSpec } from '../src/plugins/connection.js';
import type { NotifierPlugin } from '../src/plugins/notifier.js';
import type { ScannerPlugin } from '../src/plugins/scanner.js';
import type { Outbound } from '../src/security/outbound.js';
import { XrayClient } from './scanners/xray/client.js';
import { IntegrationError } from '../src/plugins/integration-error.js';
import { createGitlabClient } from './ci/gitlab/client.js';
import { createJenkinsClient } from './ci/jenkins/client.js';
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
import { nexusIq } from './scanners/nexus-iq/index.js';
import { nexusIqConnection } from './scanners/nexus-iq/connection.js';
import { createNexusIqClient } from './scanners/nexus-iq/client.js';
import { sonarqube } from './scanners/sonarqube/index.js';
import { sonarqubeConnection } from './scanners/sonarqube/connection.js';
import { createSonarQubeClient } from './scanners/sonarqube/client.js';

export const scanners: readonly ScannerPlugin[] = [
  bandit,
  cyclonedx,
  dependencyCheck,
  gitlabSecurityReport,
  grype,
  nexusIq,
  npmAudit,
  osvScanner,
  sarif,
  semgrep,
  sonarqube,
  trivy,
  xray,
];

/** Systems ScanHub holds credentials for: integrations (JFrog, GitLab, Jenkins) and notification channels. */
export const connections: readonly ConnectionSpec[] = [
  emailConnection,
  gitlabConnection,
  jenkinsConnection,
  jfrogConnection,
  nexusIqConnection,
  slackConnection,
  smsConnection,
  sonarqubeConnection,
  teamsConnection,
  webhookConnection,
];

/** Notification channels: one folder under integrations/notifiers/<id>/ each. */
export const notifiers: readonly NotifierPlugin<never>[] = [emailNotifier, slackNotifier, smsNotifier, teamsNotifier, webhookNotifier] as unknown as NotifierPlugin<never>[];

/** verify() of each integration kind: reachability, authentication and permission, each its own check. */
export type VerifyResult = { checks: { name: string; ok: boolean; code?: string | undefined; message: string }[] };
type Verifier = (settings: Record<string, unknown>, outbound: Outbound, target: { project?: string | undefined; job?: string | undefined }) => Promise<VerifyResult>;

/** Runs a client's verify(), which throws a coded IntegrationError at the first failing check. */
async function asChecks(name: string, run: () => Promise<string>): Promise<VerifyResult> {
  try {
    return { checks: [{ name, ok: true, message: await run() }] };
  } catch (error) {
    if (!(error instanceof IntegrationError)) throw error;
    return { checks: [{ name, ok: false, code: error.code, message: error.message }] };
  }
}

export const integrationVerifiers: Readonly<Record<string, Verifier>> = {
  gitlab: (settings, outbound, target) =>
    asChecks('token, project access and permission', async () => {
      if (!target.project) throw new IntegrationError('GITLAB_PROJECT_REQUIRED', 'Name the GitLab project to check: ?project=group/app.');
      const v = await createGitlabClient({ url: String(settings.url), token: String(settings.token), outbound }).verify(target.project);
      return `Token of ${v.user.username} can write to ${v.project.pathWithNamespace} (access level ${v.accessLevel}).`;
    }),
  jenkins: (settings, outbound, target) =>
    asChecks('credentials and job', async () => {
      const v = await createJenkinsClient({ url: String(settings.url), user: String(settings.user), apiToken: String(settings.apiToken), outbound }).verify(target.job);
      return `Jenkins answers (${v.mode ?? 'mode unknown'})${v.job ? `; job ${v.job.name} is ${v.job.buildable ? 'buildable' : 'not buildable'}` : ''}.`;
    }),
  jfrog: async (settings, outbound) => {
    const client = new XrayClient({ baseUrl: String(settings.baseUrl), accessToken: String(settings.accessToken), outbound, retry: { attempts: 2 } });
    try {
      return await client.verify();
    } finally {
      await client.close();
    }
  },
  'nexus-iq': async (settings, outbound, target) => {
    const client = createNexusIqClient({ url: String(settings.url), user: String(settings.user), token: String(settings.token), outbound, retry: { attempts: 2 } });
    try {
      return await client.verify(target.project);
    } finally {
      await client.close();
    }
  },
  sonarqube: async (settings, outbound, target) => {
    const client = createSonarQubeClient({ url: String(settings.url), token: String(settings.token), outbound, ...(settings.organization ? { organization: String(settings.organization) } : {}), retry: { attempts: 2 } });
    try {
      return await client.verify(target.project);
    } finally {
      await client.close();
    }
  },
};
