// In-process caches of rows read on nearly every request (API token identities, projects by name),
// kept exact across instances: the database announces every change to those tables (migration 0016,
// channel "scanhub_changes") and each cache empties when its table's announcement arrives. While the
// listening connection is down, or the cache is not yet listening, every lookup reads the database.
import { randomUUID } from 'node:crypto';
import type { LiveToken } from '../security/tokens.js';
import type { Database, Listener } from './db.js';
import type { Project } from './repositories/projects.js';

export const CHANGES_CHANNEL = 'scanhub_changes';

/** One cached lookup: a bounded map of key → value, emptied (clear) when its table changes. */
export class LookupCache<V> {
  readonly #entries = new Map<string, { value: V; at: number; generation: number }>();
  #generation = 0;
  constructor(
    /** False while a change may be unannounced to this cache: lookups then read the database. */
    private readonly live: () => boolean,
    /** An entry is read again after this long even without an announcement (e.g. to record "last used"). */
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  /** The cached value, else `load()`'s (cached unless undefined, or unless the table changed meanwhile). */
  async get(key: string, load: () => Promise<V | undefined>, now = Date.now()): Promise<V | undefined> {
    if (!this.live()) return load();
    const hit = this.#entries.get(key);
    if (hit && hit.generation === this.#generation && now - hit.at < this.ttlMs) return hit.value;
    const generation = this.#generation;
    const value = await load();
    // A change announced while the row was being read may be newer than what was read: not kept.
    if (value !== undefined && generation === this.#generation && this.live()) {
      this.#entries.delete(key);
      this.#entries.set(key, { value, at: now, generation });
      if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    }
    return value;
  }

  clear(): void {
    this.#generation += 1;
    this.#entries.clear();
  }
}

/** The caches of one instance and the listener that keeps them exact. */
export class Lookups {
  /** Token hash → identity. Read again each minute anyway: authentication records "last used" to the minute. */
  readonly tokens: LookupCache<LiveToken>;
  /** Project id or name → project. */
  readonly projects: LookupCache<Project>;
  #listener: Listener | undefined;
  /** This instance's own writes in progress (see hold). */
  #held = 0;
  /** The listener heard its latest probe (see start). */
  #heard = false;
  #probe = '';

  constructor() {
    const live = () => this.live;
    this.tokens = new LookupCache(live, 60_000);
    this.projects = new LookupCache(live, 60_000);
  }

  /** True while announcements are being received (and none of this instance's own writes is in progress). */
  get live(): boolean {
    return this.#held === 0 && this.#heard && (this.#listener?.live ?? false);
  }

  /**
   * Starts listening for announcements; until then (and whenever the listener is down) nothing is
   * cached. Each time listening (re)starts, the caches are emptied and stay off until the listener
   * hears a probe of its own: a connection that can LISTEN but never hears (a transaction-pooling
   * proxy such as PgBouncer in transaction mode) must not leave stale identities in use.
   */
  async start(db: Database): Promise<this> {
    this.#listener = await db.listen(CHANGES_CHANNEL, {
      notify: (payload) => {
        if (payload === this.#probe) this.#heard = true;
        // A project's deletion also deletes its scoped tokens (ON DELETE CASCADE): both caches forget.
        if (payload === 'projects') this.clear();
        else if (payload === 'api_tokens') this.tokens.clear();
      },
      reset: () => {
        this.#heard = false;
        this.clear();
        const probe = `probe:${randomUUID()}`;
        this.#probe = probe;
        // Sent through the pool, as every change is; not awaited by the listener's own callback.
        db.query(`SELECT pg_notify($1, $2)`, [CHANGES_CHANNEL, probe]).catch(() => undefined);
      },
    });
    return this;
  }

  /**
   * A request of this instance that may change cached rows: until `release`, lookups read the
   * database; then every cache is emptied. Its own announcement arrives a little later, and the
   * client's next request (perhaps with the token it just revoked) must not come before it.
   */
  hold(): () => void {
    this.#held += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held -= 1;
      this.clear();
    };
  }

  clear(): void {
    this.tokens.clear();
    this.projects.clear();
  }

  async close(): Promise<void> {
    await this.#listener?.close();
    this.clear();
  }
}
