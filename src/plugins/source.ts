// Push sources: systems that call ScanHub when something changes (Artifactory, a registry). One folder
// per source under integrations/sources/<id>/ exports one SourcePlugin; the HTTP route
// /webhooks/<id> checks authenticity with it, then queues the work it describes.
export interface ImageRef {
  /** Repository key in the registry (Artifactory repo_key). */
  repository: string;
  /** Image name inside the repository, e.g. "library/ubuntu". */
  image: string;
  tag: string;
  /** Manifest path in the repository, e.g. "library/ubuntu/latest/manifest.json". */
  path: string;
  /** Digest of the manifest (sha256 hex). */
  digest: string;
}

export type SourceEvent =
  | { action: 'scan'; image: ImageRef; detail: Record<string, unknown> }
  | { action: 'removed'; image: ImageRef; detail: Record<string, unknown> }
  | { action: 'promoted'; image: ImageRef; detail: Record<string, unknown> }
  | { action: 'test'; detail: Record<string, unknown> }
  | { action: 'ignored'; reason: string };

export interface SourcePlugin {
  readonly kind: 'source';
  readonly id: string;
  /** True when the request proves knowledge of `secret` (constant time); checked on the raw bytes. */
  authenticate(headers: Record<string, string | string[] | undefined>, rawBody: Buffer, secret: string): boolean;
  /** What the (authenticated) body asks for; throws a ReportFormatError-like Error for a malformed body. */
  classify(body: unknown): SourceEvent;
}
