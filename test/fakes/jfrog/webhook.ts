// The Artifactory side of a docker push webhook, for tests of ScanHub's receiver: the predefined
// `docker`/`pushed` envelope (shaped exactly like corpus artifactory-webhook-docker-pushed*.json)
// and a sender that authenticates it the two ways Artifactory does (contract §4): the handler
// secret itself in X-JFrog-Event-Auth, or ("Use secret for payload signing") lowercase hex
// HMAC-SHA256(secret, raw body) with no prefix.
import { createHmac } from 'node:crypto';

export interface DockerPlatform {
  architecture: string;
  os: string;
}

export interface ArtifactoryPushData {
  repo_key: string;
  event_type: 'pushed';
  path: string;
  name: string;
  sha256: string;
  size: number;
  image_name: string;
  tag: string;
  platforms?: DockerPlatform[];
  image_type?: 'docker' | 'oci';
}

export interface ArtifactoryPushEnvelope {
  domain: 'docker';
  event_type: 'pushed';
  data: ArtifactoryPushData;
  subscription_key: string;
  jpd_origin: string;
  source: string;
}

export interface ArtifactoryPushOptions {
  repoKey: string;
  /** e.g. `library/ubuntu` */
  imageName: string;
  tag: string;
  /** sha256 of the manifest file (64 hex). */
  sha256: string;
  size?: number;
  /** Given (even empty) → a multi-arch push of `list.manifest.json`; absent → `manifest.json`. */
  platforms?: DockerPlatform[];
  imageType?: 'docker' | 'oci';
  subscriptionKey?: string;
  jpdOrigin?: string;
  source?: string;
}

/** The `docker`/`pushed` webhook body Artifactory sends, key order as in the corpus sample. */
export function artifactoryPushBody(o: ArtifactoryPushOptions): ArtifactoryPushEnvelope {
  const name = o.platforms ? 'list.manifest.json' : 'manifest.json';
  const data: ArtifactoryPushData = {
    repo_key: o.repoKey,
    event_type: 'pushed',
    path: `${o.imageName}/${o.tag}/${name}`,
    name,
    sha256: o.sha256,
    size: o.size ?? 1206,
    image_name: o.imageName,
    tag: o.tag,
    ...(o.platforms ? { platforms: o.platforms.map((p) => ({ architecture: p.architecture, os: p.os })) } : {}),
    ...(o.imageType ? { image_type: o.imageType } : {}),
  };
  return {
    domain: 'docker',
    event_type: 'pushed',
    data,
    subscription_key: o.subscriptionKey ?? 'test',
    jpd_origin: o.jpdOrigin ?? 'https://example.jfrog.io',
    source: o.source ?? 'jfrog/user@example.com',
  };
}

/** Lowercase hex HMAC-SHA256(secret, raw body) — the X-JFrog-Event-Auth value in signing mode. */
export function signArtifactoryBody(secret: string, raw: Buffer | string): string {
  return createHmac('sha256', secret).update(raw).digest('hex');
}

export interface SendWebhookOptions {
  /** Absent: no X-JFrog-Event-Auth header at all. */
  secret?: string;
  mode?: 'plain' | 'hmac';
  /** Extra headers (Artifactory `custom_http_headers`); can also override X-JFrog-Event-Auth to forge one. */
  headers?: Record<string, string>;
}

export interface SentWebhook {
  status: number;
  body: string;
  headers: Headers;
  /** The exact bytes sent (what an HMAC covers). */
  raw: Buffer;
}

/**
 * POSTs a webhook body like Artifactory's Event Service: JSON, Content-Type application/json, and
 * X-JFrog-Event-Auth = the secret (plain) or the hex HMAC of the exact bytes sent (hmac). A string or
 * Buffer body is sent byte for byte; an object is JSON.stringify'd.
 */
export async function sendArtifactoryWebhook(url: string, body: object | string | Buffer, options: SendWebhookOptions = {}): Promise<SentWebhook> {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (options.secret !== undefined) {
    headers['X-JFrog-Event-Auth'] = (options.mode ?? 'plain') === 'hmac' ? signArtifactoryBody(options.secret, raw) : options.secret;
  }
  Object.assign(headers, options.headers ?? {});
  const response = await fetch(url, { method: 'POST', headers, body: raw, redirect: 'manual' });
  return { status: response.status, body: await response.text(), headers: response.headers, raw };
}
