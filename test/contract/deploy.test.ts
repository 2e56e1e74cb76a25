// The deployment artefacts agree with ScanHub and with each other: the Dockerfile's entrypoint, the
// compose file (postgres + 2 API + 2 workers) and the Kubernetes example (a Deployment per role,
// probes, non-root, secrets only from the Secret). Runs without a container engine; `docker compose
// config` and `kubectl kustomize` add their own checks where those binaries are installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Secret, Service, type IConfigMap, type IContainer, type ISecret, type IService } from 'kubernetes-models/v1';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { NetworkPolicy, type INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { loadConfig } from '../../src/config/load.js';
import { configFields, secretConfigKeys } from '../../src/config/schema.js';
import { parseSecretKey } from '../../src/security/secrets.js';
import { projectRoot } from '../helpers/corpus.js';

const read = (...parts: string[]) => readFileSync(join(projectRoot, ...parts), 'utf8');
const knownEnv = new Set<string>(Object.values(configFields).map((f) => f.env));
const secretEnv = new Set<string>(secretConfigKeys.map((k) => configFields[k].env));
const ROLES = { api: 'api', worker: 'worker' } as const;
/** Time left between the end of SCANHUB_SHUTDOWN_GRACE and SIGKILL: releasing jobs, closing the pool. */
const SHUTDOWN_MARGIN_S = 10;

// ---- Dockerfile -----------------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
}

/** Instructions of a Dockerfile: comments dropped, `\` continuations joined. */
function dockerInstructions(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return logical
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

const execForm = (args: string): string[] => z.array(z.string()).parse(JSON.parse(args));

const dockerfile = dockerInstructions(read('Dockerfile'));
const stages = dockerfile.reduce<Instruction[][]>((acc, ins) => {
  if (ins.keyword === 'FROM') acc.push([]);
  acc.at(-1)?.push(ins);
  return acc;
}, []);
const runtimeStage = stages.at(-1) ?? [];
const lastOf = (keyword: string) => runtimeStage.filter((i) => i.keyword === keyword).at(-1);
const entrypoint = execForm(lastOf('ENTRYPOINT')?.args ?? '[]');
const imageCmd = execForm(lastOf('CMD')?.args ?? '[]');
const imageUser = lastOf('USER')?.args ?? '';
const imageUid = Number(imageUser.split(':')[0]);

/** The process a container runs: the image entrypoint followed by the service's arguments. */
const argvOf = (args: string[] | undefined) => [...entrypoint, ...(args ?? imageCmd)];
const serveArgv = (role: string) => argvOf(['serve', '--role', role]);

describe('Dockerfile', () => {
  it('builds in a node:20-bookworm-slim stage (npm ci, build, prune) and runs from a second one', () => {
    const arg = dockerfile.find((i) => i.keyword === 'ARG' && i.args.startsWith('NODE_IMAGE='));
    expect(arg?.args).toBe('NODE_IMAGE=node:20-bookworm-slim');
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(stage[0]?.args).toMatch(/^\$\{NODE_IMAGE\}( AS \w+)?$/i);
    const buildRuns = stages[0]!.filter((i) => i.keyword === 'RUN').map((i) => i.args).join(' && ');
    expect(buildRuns).toMatch(/npm ci\b/);
    expect(buildRuns).toMatch(/npm run build\b/);
    expect(buildRuns).toMatch(/npm prune --omit=dev\b/);
    expect(buildRuns.indexOf('npm run build')).toBeLessThan(buildRuns.indexOf('npm prune'));
  });

  it('runs the CLI as PID 1 under tini, `serve` by default, and the entry point exists', () => {
    expect(entrypoint.slice(-2)).toEqual(['node', 'dist/src/cli/bin.js']);
    expect(entrypoint[0]).toMatch(/tini$/);
    expect(imageCmd).toEqual(['serve']);
    expect(existsSync(join(projectRoot, 'src/cli/bin.ts'))).toBe(true);
  });

  it('runs as a numeric non-root user, set after every RUN of the runtime stage', () => {
    expect(imageUid).toBeGreaterThan(0);
    const userAt = runtimeStage.lastIndexOf(lastOf('USER')!);
    const lastRunAt = runtimeStage.lastIndexOf(runtimeStage.filter((i) => i.keyword === 'RUN').at(-1)!);
    expect(userAt).toBeGreaterThan(lastRunAt);
  });

  it('listens on all interfaces, checks /readyz, and bakes in no secret', () => {
    const env = runtimeStage.filter((i) => i.keyword === 'ENV').map((i) => i.args).join(' ');
    expect(env).toMatch(/\bHOST=0\.0\.0\.0\b/);
    expect(lastOf('HEALTHCHECK')?.args).toContain('/readyz');
    const declared = dockerfile.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG').flatMap((i) => [...i.args.matchAll(/([A-Z_][A-Z0-9_]*)=/g)].map((m) => m[1]!));
    expect(declared.filter((name) => secretEnv.has(name))).toEqual([]);
  });

  it('installs Chromium only behind WITH_CHROMIUM, off by default', () => {
    expect(runtimeStage.some((i) => i.keyword === 'ARG' && i.args === 'WITH_CHROMIUM=false')).toBe(true);
    const install = runtimeStage.filter((i) => i.keyword === 'RUN').map((i) => i.args).join(' ');
    expect(install).toMatch(/true\) extra="chromium/);
  });

  it('copies from the build context only paths that exist and that .dockerignore lets in', () => {
    const ignore = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('*'); // an allow-list: local data, .env and keys never reach the context
    const allowed = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/$/, ''));
    for (const private_ of ['.env', 'data', 'node_modules', 'dist', '.git']) expect(allowed).not.toContain(private_);
    const sources = dockerfile
      .filter((i) => i.keyword === 'COPY' && !i.args.includes('--from='))
      .flatMap((i) => i.args.split(/\s+/).filter((a) => !a.startsWith('--')).slice(0, -1));
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) {
      expect(existsSync(join(projectRoot, source)), source).toBe(true);
      expect(allowed, source).toContain(source.replace(/\/$/, ''));
    }
  });

  it('needs no install script at run time (the dependency layer is installed with --ignore-scripts)', () => {
    const lock = z
      .object({ packages: z.record(z.string(), z.looseObject({ hasInstallScript: z.boolean().optional(), dev: z.boolean().optional() })) })
      .parse(JSON.parse(read('package-lock.json')));
    const runtimeWithScripts = Object.entries(lock.packages).filter(([, p]) => p.hasInstallScript && !p.dev).map(([name]) => name);
    expect(runtimeWithScripts).toEqual([]);
  });
});

// ---- docker-compose.yml ---------------------------------------------------------------------------

const composeService = z.looseObject({
  image: z.string().optional(),
  build: z.looseObject({ context: z.string(), args: z.record(z.string(), z.string()).optional() }).optional(),
  command: z.array(z.string()).optional(),
  entrypoint: z.unknown().optional(),
  environment: z.record(z.string(), z.string()).optional(),
  ports: z.array(z.string()).optional(),
  secrets: z.array(z.string()).optional(),
  volumes: z.array(z.string()).optional(),
  depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
  healthcheck: z.looseObject({ test: z.array(z.string()) }).optional(),
  stop_grace_period: z.string().optional(),
});
const composeFile = z.looseObject({
  services: z.record(z.string(), composeService),
  secrets: z.record(z.string(), z.object({ file: z.string() })).optional(),
  volumes: z.record(z.string(), z.unknown()).optional(),
});

const composeText = read('docker-compose.yml');
// `merge`: the services share one anchored block through `<<:`, as docker compose reads it.
const compose = composeFile.parse(parse(composeText, { merge: true }));
const scanhubServices = Object.entries(compose.services).filter(([name]) => name.startsWith('scanhub-'));
const servicesOfRole = (role: string) => scanhubServices.filter(([, s]) => s.command?.join(' ') === `serve --role ${role}`);

/** Seconds of a compose duration such as 300s, 5m or 1m30s. */
function seconds(duration: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1 };
  const parts = [...duration.matchAll(/(\d+)(h|m|s)/g)];
  expect(parts.map((p) => p[0]).join('')).toBe(duration);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * units[unit!]!, 0);
}

describe('docker-compose.yml', () => {
  it('runs postgres, two API instances and two workers, each with its role', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['postgres', ...scanhubServices.map(([n]) => n)].sort());
    expect(servicesOfRole(ROLES.api).map(([n]) => n)).toEqual(['scanhub-api-1', 'scanhub-api-2']);
    expect(servicesOfRole(ROLES.worker).map(([n]) => n)).toEqual(['scanhub-worker-1', 'scanhub-worker-2']);
    expect(scanhubServices).toHaveLength(4);
    for (const [name, service] of scanhubServices) {
      // The image entrypoint stays in place, so the argv is the CLI's `serve --role …`.
      expect(service.entrypoint, name).toBeUndefined();
      expect(argvOf(service.command), name).toEqual(serveArgv(name.includes('-api-') ? ROLES.api : ROLES.worker));
    }
  });

  it('builds every ScanHub service from the Dockerfile, with one shared environment', () => {
    const [, first] = scanhubServices[0]!;
    // Per instance only the shutdown grace differs; the role comes from the command, never the env.
    const shared = ({ SCANHUB_SHUTDOWN_GRACE: _, ...rest }: Record<string, string>) => rest;
    for (const [name, service] of scanhubServices) {
      expect(service.build?.context, name).toBe('.');
      expect(service.image, name).toBe(first.image);
      expect(shared(service.environment ?? {}), name).toEqual(shared(first.environment ?? {}));
      expect(service.environment?.SCANHUB_ROLE, name).toBeUndefined();
    }
    const env = first.environment ?? {};
    expect(Object.keys(env).filter((k) => !knownEnv.has(k))).toEqual([]);
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/scanhub:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/scanhub$/);
    expect(env.HOST).toBe('0.0.0.0');
  });

  it('requires the .env values with a message, and reads the key from a compose secret file', () => {
    for (const name of ['POSTGRES_PASSWORD', 'SCANHUB_ADMIN_TOKEN', 'SCANHUB_SECRET_KEY_PATH']) {
      expect(composeText).toMatch(new RegExp(`\\$\\{${name}:\\?set ${name} in \\.env[^}]*\\}`));
    }
    const env = scanhubServices[0]![1].environment ?? {};
    expect(env.SCANHUB_SECRET_KEY).toBeUndefined();
    const mounted = /^\/run\/secrets\/(.+)$/.exec(env.SCANHUB_SECRET_KEY_FILE ?? '')?.[1];
    expect(mounted).toBeDefined();
    expect(compose.secrets?.[mounted!]?.file).toMatch(/^\$\{SCANHUB_SECRET_KEY_PATH:\?/);
    for (const [name, service] of scanhubServices) expect(service.secrets, name).toContain(mounted);
  });

  it('has a health check on every service and starts ScanHub only once PostgreSQL is healthy', () => {
    for (const [name, service] of Object.entries(compose.services)) expect(service.healthcheck?.test.length, name).toBeGreaterThan(1);
    for (const [name, service] of scanhubServices) {
      expect(service.healthcheck?.test.join(' '), name).toContain(`127.0.0.1:${service.environment?.PORT}/readyz`);
      expect(service.depends_on?.postgres?.condition, name).toBe('service_healthy');
    }
    const [volume] = (compose.services.postgres?.volumes ?? [''])[0]!.split(':');
    expect(compose.volumes).toHaveProperty(volume!);
  });

  it('publishes ports only for the APIs, only on 127.0.0.1, one host port each', () => {
    const published = Object.entries(compose.services).filter(([, s]) => s.ports?.length);
    expect(published.map(([n]) => n).sort()).toEqual(servicesOfRole(ROLES.api).map(([n]) => n).sort());
    const ports = published.flatMap(([, s]) => s.ports ?? []);
    for (const port of ports) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    expect(new Set(ports.map((p) => p.split(':')[1])).size).toBe(ports.length);
  });

  it('stops each instance after its shutdown grace (jobs finish or are released), workers the longest', () => {
    for (const [name, service] of scanhubServices) {
      const drain = Number(service.environment?.SCANHUB_SHUTDOWN_GRACE);
      expect(drain, name).toBeGreaterThan(0);
      expect(seconds(service.stop_grace_period ?? '10s'), name).toBeGreaterThanOrEqual(drain + SHUTDOWN_MARGIN_S);
    }
    const grace = (role: string) => servicesOfRole(role).map(([, s]) => seconds(s.stop_grace_period ?? '10s'));
    expect(Math.min(...grace(ROLES.worker))).toBeGreaterThan(Math.max(...grace(ROLES.api)));
  });

  describe('with a compose binary', () => {
    const cli = findComposeCli();
    let dir = '';
    beforeAll(() => {
      if (cli) dir = mkdtempSync(join(tmpdir(), 'scanhub-compose-'));
    });
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    const run = (envFile: string, args: string[]) =>
      spawnSync(cli!.command, [...cli!.args, '--env-file', envFile, '-f', join(projectRoot, 'docker-compose.yml'), ...args], {
        cwd: projectRoot,
        encoding: 'utf8',
        timeout: 60_000,
        // Compose interpolation reads the process environment before .env: keep only what a shell has.
        env: { PATH: process.env.PATH, HOME: process.env.HOME ?? dir, PYTHONNOUSERSITE: '1' },
      });
    const title = (what: string) => (cli ? `${cli.name}: ${what}` : `${what} (skipped: neither \`docker compose\` nor \`docker-compose\` is installed)`);

    it.skipIf(!cli)(title('config -q accepts the file with a dummy .env'), () => {
      writeFileSync(join(dir, 'scanhub.key'), `${'ab'.repeat(32)}\n`, { mode: 0o600 });
      const envFile = join(dir, '.env');
      writeFileSync(envFile, `POSTGRES_PASSWORD=dummy\nSCANHUB_ADMIN_TOKEN=${'t'.repeat(32)}\nSCANHUB_SECRET_KEY_PATH=${join(dir, 'scanhub.key')}\n`);
      const result = run(envFile, ['config', '-q']);
      expect(result.status, result.stderr).toBe(0);
    });

    it.skipIf(!cli)(title('config stops with the message of the first missing .env value'), () => {
      const envFile = join(dir, 'empty.env');
      writeFileSync(envFile, '');
      const result = run(envFile, ['config', '-q']);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/set (POSTGRES_PASSWORD|SCANHUB_ADMIN_TOKEN|SCANHUB_SECRET_KEY_PATH) in \.env/);
    });
  });
});

interface ComposeCli {
  name: string;
  command: string;
  args: string[];
}

/** `docker compose` (v2 plugin) or Debian's `docker-compose` 1.29, whichever answers. */
function findComposeCli(): ComposeCli | undefined {
  const candidates: ComposeCli[] = [
    { name: 'docker compose', command: 'docker', args: ['compose'] },
    { name: 'docker-compose', command: 'docker-compose', args: [] },
  ];
  // PYTHONNOUSERSITE: a pip --user jsonschema (Semgrep's) would shadow the one docker-compose 1.29 needs.
  return candidates.find((c) => spawnSync(c.command, [...c.args, 'version'], { stdio: 'ignore', timeout: 20_000, env: { ...process.env, PYTHONNOUSERSITE: '1' } }).status === 0);
}

// ---- deploy/kubernetes ----------------------------------------------------------------------------

const k8sDir = join(projectRoot, 'deploy/kubernetes');
const SECRET_EXAMPLE = 'secret.example.yaml';

interface Manifest {
  file: string;
  object: { kind: string; metadata: { name: string; namespace?: string } };
}

const models: Record<string, (raw: unknown) => { validate(): void }> = {
  Deployment: (raw) => new Deployment(raw as IDeployment),
  Service: (raw) => new Service(raw as IService),
  ConfigMap: (raw) => new ConfigMap(raw as IConfigMap),
  Secret: (raw) => new Secret(raw as ISecret),
  PodDisruptionBudget: (raw) => new PodDisruptionBudget(raw as IPodDisruptionBudget),
  NetworkPolicy: (raw) => new NetworkPolicy(raw as INetworkPolicy),
};

const manifestFiles = readdirSync(k8sDir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
const manifests: Manifest[] = manifestFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(join(k8sDir, file), 'utf8')).map((doc) => {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return { file, object: doc.toJS() as Manifest['object'] };
  }),
);
const objectsOf = <T>(kind: string) => manifests.filter((m) => m.object.kind === kind).map((m) => m.object as unknown as T);
const deployment = (name: string) => objectsOf<IDeployment>('Deployment').find((d) => d.metadata?.name === name)!;
const podSpec = (name: string) => deployment(name).spec!.template.spec!;
const container = (name: string): IContainer => {
  const containers = podSpec(name).containers;
  expect(containers).toHaveLength(1);
  return containers[0]!;
};
const configMap = objectsOf<IConfigMap>('ConfigMap')[0]!;
const secret = objectsOf<ISecret>('Secret')[0]!;
const kustomization = z
  .object({ resources: z.array(z.string()), images: z.array(z.object({ name: z.string(), newName: z.string(), newTag: z.string() })) })
  .parse(parse(readFileSync(join(k8sDir, 'kustomization.yaml'), 'utf8')));
const roleDeployments = [
  { role: ROLES.api, name: 'scanhub-api' },
  { role: ROLES.worker, name: 'scanhub-worker' },
] as const;

/** Whether a selector's matchLabels all hold for a pod template's labels. */
const selects = (matchLabels: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  Object.entries(matchLabels ?? { missing: '' }).every(([k, v]) => labels?.[k] === v);

describe('deploy/kubernetes', () => {
  it('every object validates against its Kubernetes schema and names no namespace', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(8);
    for (const { file, object } of manifests) {
      const model = models[object.kind];
      expect(model, `${file}: ${object.kind} has no schema check`).toBeDefined();
      expect(() => model!(object).validate(), `${file}: ${object.kind}/${object.metadata.name}`).not.toThrow();
      expect(object.metadata.namespace, file).toBeUndefined();
    }
  });

  it('kustomization lists every manifest except the example Secret, and renames the image', () => {
    expect([...kustomization.resources].sort()).toEqual(manifestFiles.filter((f) => f !== SECRET_EXAMPLE));
    expect(manifests.filter((m) => m.file === SECRET_EXAMPLE).map((m) => m.object.kind)).toEqual(['Secret']);
    for (const { name } of roleDeployments) expect(container(name).image).toBe(kustomization.images[0]?.name);
  });

  it.each(roleDeployments)('$name: 2 replicas running `serve --role $role` with the image entrypoint', ({ role, name }) => {
    expect(deployment(name).spec?.replicas).toBe(2);
    expect(container(name).command).toBeUndefined();
    expect(argvOf(container(name).args)).toEqual(serveArgv(role));
  });

  it.each(roleDeployments)('$name: readiness on /readyz, liveness and startup on /healthz, on its HTTP port', ({ name }) => {
    const c = container(name);
    const port = c.ports?.find((p) => p.name === 'http');
    expect(String(port?.containerPort)).toBe(configMap.data?.PORT);
    for (const [probe, path] of [
      [c.readinessProbe, '/readyz'],
      [c.livenessProbe, '/healthz'],
      [c.startupProbe, '/healthz'],
    ] as const) {
      expect(probe?.httpGet?.path).toBe(path);
      expect(probe?.httpGet?.port).toBe(port?.name);
    }
    const annotations = deployment(name).spec?.template.metadata?.annotations ?? {};
    expect(annotations['prometheus.io/scrape']).toBe('true');
    expect(annotations['prometheus.io/path']).toBe('/metrics');
    expect(annotations['prometheus.io/port']).toBe(String(port?.containerPort));
  });

  it.each(roleDeployments)('$name: non-root, read-only root, no escalation, no capabilities, /tmp on an emptyDir', ({ name }) => {
    const pod = podSpec(name);
    const c = container(name);
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).toBe(imageUid);
    expect(c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser).not.toBe(0);
    expect(c.securityContext?.privileged).not.toBe(true);
    expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
    expect(c.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext?.capabilities?.drop).toEqual(['ALL']);
    expect(c.securityContext?.capabilities?.add).toBeUndefined();
    const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
    expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(c.resources?.requests?.cpu).toBeDefined();
    expect(c.resources?.requests?.memory).toBeDefined();
    expect(c.resources?.limits?.memory).toBeDefined();
  });

  it('gives each role the shutdown grace of the compose file, inside the time before SIGKILL', () => {
    for (const { role, name } of roleDeployments) {
      const [, service] = servicesOfRole(role)[0]!;
      const drain = container(name).env?.find((e) => e.name === 'SCANHUB_SHUTDOWN_GRACE')?.value;
      expect(drain).toBe(service.environment?.SCANHUB_SHUTDOWN_GRACE);
      const preStop = Number(container(name).lifecycle?.preStop?.exec?.command?.join(' ').match(/^sleep (\d+)$/)?.[1] ?? 0);
      expect(podSpec(name).terminationGracePeriodSeconds).toBeGreaterThanOrEqual(preStop + Number(drain) + SHUTDOWN_MARGIN_S);
      expect(podSpec(name).terminationGracePeriodSeconds).toBe(seconds(service.stop_grace_period ?? '10s'));
    }
    expect(podSpec('scanhub-worker').terminationGracePeriodSeconds).toBeGreaterThan(podSpec('scanhub-api').terminationGracePeriodSeconds!);
  });

  it.each(roleDeployments)('$name: settings come from the ConfigMap, secrets only from the Secret', ({ name }) => {
    const c = container(name);
    const fromConfigMaps = (c.envFrom ?? []).flatMap((e) => (e.configMapRef ? [e.configMapRef.name] : []));
    const fromSecrets = (c.envFrom ?? []).flatMap((e) => (e.secretRef ? [e.secretRef.name] : []));
    expect(fromConfigMaps).toEqual([configMap.metadata?.name]);
    expect(fromSecrets).toEqual([secret.metadata?.name]);
    for (const variable of c.env ?? []) {
      if (secretEnv.has(variable.name)) expect(variable.valueFrom?.secretKeyRef?.name, variable.name).toBe(secret.metadata?.name);
    }
  });

  it('the ConfigMap holds known, non-secret settings; the Secret holds only secrets', () => {
    const settings = Object.keys(configMap.data ?? {});
    expect(settings.filter((k) => !knownEnv.has(k))).toEqual([]);
    expect(settings).not.toContain('SCANHUB_ROLE'); // shared by both roles: the role is each Deployment's args
    expect(settings.filter((k) => secretEnv.has(k))).toEqual([]);
    expect(configMap.data?.HOST).toBe('0.0.0.0');
    const secrets = Object.keys(secret.stringData ?? {});
    expect(secrets).toEqual(expect.arrayContaining(['DATABASE_URL', 'SCANHUB_SECRET_KEY', 'SCANHUB_ADMIN_TOKEN']));
    expect(secrets.filter((k) => !secretEnv.has(k))).toEqual([]);
    expect(secret.data).toBeUndefined();
  });

  it('the example Secret holds placeholders that ScanHub refuses to start with', () => {
    const values = secret.stringData ?? {};
    for (const value of Object.values(values)) expect(value).toContain('CHANGE-ME');
    expect(() => loadConfig({ DATABASE_URL: values.DATABASE_URL })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ SCANHUB_ADMIN_TOKEN: values.SCANHUB_ADMIN_TOKEN })).toThrow(/SCANHUB_ADMIN_TOKEN/);
    expect(() => parseSecretKey(values.SCANHUB_SECRET_KEY ?? '')).toThrow(/32 bytes/);
  });

  it('the Service, PodDisruptionBudgets and NetworkPolicy select the pods they are meant for', () => {
    const [service] = objectsOf<IService>('Service');
    const apiLabels = deployment('scanhub-api').spec?.template.metadata?.labels;
    const workerLabels = deployment('scanhub-worker').spec?.template.metadata?.labels;
    expect(selects(service?.spec?.selector, apiLabels)).toBe(true);
    expect(selects(service?.spec?.selector, workerLabels)).toBe(false);
    expect(service?.spec?.ports?.[0]?.targetPort).toBe('http');

    const budgets = objectsOf<IPodDisruptionBudget>('PodDisruptionBudget');
    for (const { name } of roleDeployments) {
      const d = deployment(name);
      const covering = budgets.filter((b) => selects(b.spec?.selector?.matchLabels, d.spec?.template.metadata?.labels));
      expect(covering, name).toHaveLength(1);
      // minAvailable below the replica count, or a node drain could never evict a pod.
      expect(Number(covering[0]?.spec?.minAvailable)).toBeLessThan(d.spec!.replicas!);
    }

    const [policy] = objectsOf<INetworkPolicy>('NetworkPolicy');
    for (const { name } of roleDeployments) expect(selects(policy?.spec?.podSelector.matchLabels, deployment(name).spec?.template.metadata?.labels)).toBe(true);
    expect(policy?.spec?.ingress?.flatMap((rule) => rule.ports?.map((p) => p.port) ?? [])).toEqual(['http']);
  });

  const kubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
  it.skipIf(!kubectl)(`kubectl kustomize renders the same objects with the pushed image${kubectl ? '' : ' (skipped: kubectl is not installed)'}`, () => {
    const result = spawnSync('kubectl', ['kustomize', k8sDir], { encoding: 'utf8', timeout: 60_000 });
    expect(result.stderr).toBe('');
    const rendered = parseAllDocuments(result.stdout).map((d) => d.toJS() as Manifest['object']);
    const names = (list: Manifest['object'][]) => list.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(names(rendered)).toEqual(names(manifests.filter((m) => m.file !== SECRET_EXAMPLE).map((m) => m.object)));
    const image = `${kustomization.images[0]!.newName}:${kustomization.images[0]!.newTag}`;
    for (const d of rendered.filter((o) => o.kind === 'Deployment') as unknown as IDeployment[]) {
      expect(d.spec?.template.spec?.containers[0]?.image).toBe(image);
    }
  });
});
