// Artifactory webhooks (docker domain): `pushed` → scan, `deleted` → the image is gone, `promoted` →
// recorded. Authenticity: X-JFrog-Event-Auth carries the handler secret itself, or — with "Use secret
// for payload signing" — lowercase hex HMAC-SHA256(secret, raw body). Both compared in constant time.
import { z } from 'zod';
import type { SourceEvent, SourcePlugin } from '../../../src/plugins/source.js';
import { verifySignature } from '../../../src/security/signatures.js';

const dockerData = z.looseObject({
  repo_key: z.string().min(1).max(255),
  path: z.string().min(1).max(2048),
  name: z.string().max(255).optional(),
  sha256: z.string().min(1).max(128),
  image_name: z.string().min(1).max(1024),
  tag: z.string().min(1).max(255),
  size: z.number().optional(),
  platforms: z.array(z.looseObject({ architecture: z.string().optional(), os: z.string().optional() })).optional(),
  image_type: z.string().optional(),
});

export const artifactoryEnvelope = z.looseObject({
  domain: z.string().min(1).max(64),
  event_type: z.string().min(1).max(64),
  data: z.unknown(),
  subscription_key: z.string().max(255).optional(),
  jpd_origin: z.string().max(2048).optional(),
  source: z.string().max(512).optional(),
});

const HEX64 = /^[0-9a-f]{64}$/i;

export const artifactorySource: SourcePlugin = {
  kind: 'source',
  id: 'artifactory',
  authenticate(headers, rawBody, secret) {
    const header = headers['x-jfrog-event-auth'];
    const value = Array.isArray(header) ? header[0] : header;
    return verifySignature(secret, rawBody, value, { allowPlainSecret: true });
  },
  classify(body): SourceEvent {
    const envelope = artifactoryEnvelope.parse(body);
    if (envelope.domain !== 'docker') return { action: 'ignored', reason: `domain "${envelope.domain}" is not handled (only docker)` };
    if (!['pushed', 'deleted', 'promoted'].includes(envelope.event_type)) return { action: 'ignored', reason: `docker event "${envelope.event_type}" is not handled` };
    const data = dockerData.parse(envelope.data);
    // The "Test" button and the docs send placeholder values ("sample_checksum"): acknowledge, do nothing.
    if (!HEX64.test(data.sha256)) return { action: 'test', detail: { subscription: envelope.subscription_key ?? null } };
    // The image's repository path is the manifest path minus "<tag>/<manifest>" (at least two segments).
    if (data.path.split('/').filter(Boolean).length < 2) throw new Error('data.path must be "<image>/<tag>/<manifest>"');
    const image = { repository: data.repo_key, image: data.image_name, tag: data.tag, path: data.path, digest: data.sha256.toLowerCase() };
    const detail = { subscription: envelope.subscription_key ?? null, origin: envelope.jpd_origin ?? null, by: envelope.source ?? null, platforms: data.platforms ?? [] };
    if (envelope.event_type === 'pushed') return { action: 'scan', image, detail };
    if (envelope.event_type === 'deleted') return { action: 'removed', image, detail };
    return { action: 'promoted', image, detail };
  },
};
