import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { ConnectionSpec } from '../plugins/connection.js';
import type { ScannerPlugin } from '../plugins/scanner.js';
import type { SecretBox } from '../security/secrets.js';
import type { Outbound } from '../security/outbound.js';
import type { NotifierPlugin } from '../plugins/notifier.js';
import type { Database } from '../store/db.js';
import type { Lookups } from '../store/lookup-cache.js';

/** Everything the HTTP layer needs, passed in (createApp never reaches for globals). */
export interface AppDeps {
  db: Database;
  scanners: readonly ScannerPlugin[];
  /** Connection kinds (integrations and channels) the API can store. */
  connections: readonly ConnectionSpec[];
  /** Seals stored credentials; undefined when no key is configured (storing a secret is refused). */
  secrets: SecretBox | undefined;
  /** Notification channel senders. */
  notifiers: readonly NotifierPlugin<never>[];
  /** Outbound HTTP (TLS verification, CA bundle, URL guard) for every call ScanHub makes. */
  outbound: Outbound;
  config: Config;
  log: Logger;
  /** Test seam passed to ingest: runs before COMMIT of a submission. */
  beforeCommit?: ((submissionId: string) => Promise<void> | void) | undefined;
  /** The clock; tests inject one to move time (exception expiry, data age). */
  now?: (() => Date) | undefined;
  /** Set while the instance shuts down: /readyz answers 503 so load balancers stop sending work. */
  lifecycle?: { draining: boolean } | undefined;
  /** Token and project caches kept exact by the database's change announcements; without it, every lookup reads. */
  lookups?: Lookups | undefined;
  /** Failed-authentication limiter; one per app (tests get their own). */
  authLimiter?: import('../security/rate-limit.js').WindowLimiter | undefined;
}
