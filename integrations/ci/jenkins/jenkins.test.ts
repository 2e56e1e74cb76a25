// The Jenkins client (npm `jenkins` through the outbound guard) against the fake Jenkins: a job
// triggered with parameters (crumb + session cookie), queue item → build number → result read
// back, verify() codes, and the guard.
import { afterEach, describe, expect, it } from 'vitest';
import { createOutbound } from '../../../src/security/outbound.js';
import { startFakeJenkins, type FakeJenkins, type FakeJenkinsBehaviour } from '../../../test/fakes/jenkins/index.js';
import { createJenkinsClient, type JenkinsClientOptions } from './client.js';
import { triggerJenkinsJob } from './trigger.js';

const outbound = createOutbound({ outboundAllow: '127.0.0.0/8' });
const fakes: FakeJenkins[] = [];
afterEach(async () => {
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

async function fake(behaviour: FakeJenkinsBehaviour = {}): Promise<FakeJenkins> {
  const f = await startFakeJenkins({ behaviour });
  f.addJob('rescan-image');
  f.addJob('security/nightly', { result: 'UNSTABLE' });
  fakes.push(f);
  return f;
}

const client = (f: FakeJenkins, extra: Partial<JenkinsClientOptions> = {}) => createJenkinsClient({ url: f.url, user: f.user, apiToken: f.apiToken, outbound, pollIntervalMs: 5, ...extra });

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
  return 'no error';
}

describe('Jenkins client against the fake', () => {
  it('triggers a job with parameters (crumb + session cookie), follows queue → build and reads the result', async () => {
    const f = await fake();
    const build = await client(f).runJob('rescan-image', { IMAGE: 'registry.example.test/demo/shop:1.4', SCANHUB_PROJECT: 'demo/shop' });
    expect(build).toMatchObject({ number: 1, building: false, result: 'SUCCESS', url: `${f.url}/job/rescan-image/1/`, queueId: 1151 });
    expect(f.builds[0]!.params).toEqual({ IMAGE: 'registry.example.test/demo/shop:1.4', SCANHUB_PROJECT: 'demo/shop' });
    const post = f.requests.find((r) => r.method === 'POST')!;
    expect(post.path).toBe('/job/rescan-image/buildWithParameters');
    expect(post.headers['jenkins-crumb']).toMatch(/^[0-9a-f]{32}$/);
    expect(String(post.headers.cookie)).toMatch(/^JSESSIONID\.fake=/);
    expect(post.headers.authorization).toBe(`Basic ${Buffer.from(`${f.user}:${f.apiToken}`).toString('base64')}`);
    // crumb, POST, queue polls (waiting, then executable), build polls (building, then done)
    expect(f.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /crumbIssuer/api/json 200',
      'POST /job/rescan-image/buildWithParameters 201',
      'GET /queue/item/1151/api/json 200',
      'GET /queue/item/1151/api/json 200',
      'GET /job/rescan-image/1/api/json 200',
      'GET /job/rescan-image/1/api/json 200',
    ]);
  });

  it('handles jobs in folders and reads non-success results; build info on its own', async () => {
    const f = await fake();
    const c = client(f);
    const done = await c.runJob('security/nightly', { REF: 'main' });
    expect(done.result).toBe('UNSTABLE');
    expect(f.requests.some((r) => r.path === '/job/security/job/nightly/buildWithParameters')).toBe(true);
    expect(await c.getBuild('security/nightly', 1)).toMatchObject({ number: 1, building: false, result: 'UNSTABLE' });
    expect(await codeOf(c.getBuild('security/nightly', 99))).toBe('JENKINS_NOT_FOUND');
  });

  it('works with a Jenkins without crumb issuer (404), and via triggerJenkinsJob for the server', async () => {
    const f = await fake({ noCrumbIssuer: true });
    const queued = await triggerJenkinsJob({ url: f.url, user: f.user, apiToken: f.apiToken }, { job: 'rescan-image', parameters: { IMAGE: 'a:1' } }, { outbound });
    expect(queued).toEqual({ state: 'queued', queueId: 1151 });
    const started = await triggerJenkinsJob({ url: f.url, user: f.user, apiToken: f.apiToken }, { job: 'rescan-image', wait: 'started' }, { outbound, pollIntervalMs: 5 });
    expect(started).toMatchObject({ state: 'started', queueId: 1152, number: 1 });
    const finished = await triggerJenkinsJob({ url: f.url, user: f.user, apiToken: f.apiToken }, { job: 'rescan-image', wait: 'finished' }, { outbound, pollIntervalMs: 5 });
    expect(finished).toMatchObject({ state: 'finished', result: 'SUCCESS', number: 2 });
  });

  it('verify(): ok, then a wrong token → JENKINS_UNAUTHORIZED, a missing job → JENKINS_JOB_NOT_FOUND, a disabled one → JENKINS_JOB_DISABLED', async () => {
    const f = await fake();
    f.addJob('off', { buildable: false });
    expect(await client(f).verify('rescan-image')).toEqual({ mode: 'NORMAL', job: { name: 'rescan-image', url: `${f.url}/job/rescan-image/`, buildable: true } });
    expect(await codeOf(client(f, { apiToken: 'wrong-token' }).verify())).toBe('JENKINS_UNAUTHORIZED');
    expect(await codeOf(client(f, { user: 'someone-else' }).verify())).toBe('JENKINS_UNAUTHORIZED');
    expect(await codeOf(client(f).verify('nope'))).toBe('JENKINS_JOB_NOT_FOUND');
    expect(await codeOf(client(f).verify('off'))).toBe('JENKINS_JOB_DISABLED');
    await expect(client(f, { apiToken: 'wrong-token-value' }).verify()).rejects.not.toThrow(/wrong-token-value/);
  });

  it('a wrong token on trigger is JENKINS_UNAUTHORIZED (at the crumb fetch); no build is queued', async () => {
    const f = await fake();
    expect(await codeOf(client(f, { apiToken: 'nope' }).triggerBuild('rescan-image', { A: '1' }))).toBe('JENKINS_UNAUTHORIZED');
    expect(f.queue).toHaveLength(0);
    f.setBehaviour({ unauthorized: true });
    expect(await codeOf(client(f).verify())).toBe('JENKINS_UNAUTHORIZED');
  });

  it('403s: a user without Job/Build → JENKINS_FORBIDDEN; a job that does not exist → JENKINS_NOT_FOUND', async () => {
    const f = await fake({ forbiddenBuild: true });
    expect(await codeOf(client(f).triggerBuild('rescan-image'))).toBe('JENKINS_FORBIDDEN');
    f.setBehaviour({});
    expect(await codeOf(client(f).triggerBuild('missing-job', { A: '1' }))).toBe('JENKINS_NOT_FOUND');
  });

  it('a cancelled queue item is JENKINS_BUILD_CANCELLED; a 500 is retryable JENKINS_HTTP_500', async () => {
    const f = await fake({ cancelQueue: true });
    expect(await codeOf(client(f).runJob('rescan-image'))).toBe('JENKINS_BUILD_CANCELLED');
    f.setBehaviour({ fail500: 1 });
    const error = await client(f).verify().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'JENKINS_HTTP_500', retryable: true });
  });

  it('is refused by the outbound guard unless allowed; nothing reaches Jenkins', async () => {
    const f = await fake();
    expect(await codeOf(client(f, { outbound: createOutbound({}) }).verify())).toBe('OUTBOUND_URL_REFUSED');
    expect(f.requests).toHaveLength(0);
    expect(await codeOf(client(f, { url: 'http://127.0.0.1:1' }).verify())).toBe('JENKINS_UNREACHABLE');
  });
});
