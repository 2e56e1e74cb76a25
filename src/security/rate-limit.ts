// A fixed-window counter per key (a client address for failed sign-ins, a token id for API calls).
// Each instance counts on its own, so N instances allow N× the budget; the budget is set for that.
export class WindowLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait when `key` is over its budget, else 0. */
  retryAfter(key: string): number {
    const w = this.#windows.get(key);
    if (!w || this.now() - w.start >= this.windowMs) return 0;
    return w.count >= this.limit ? Math.ceil((w.start + this.windowMs - this.now()) / 1000) : 0;
  }

  /** Counts one event for `key`. */
  record(key: string): void {
    const t = this.now();
    const w = this.#windows.get(key);
    if (!w || t - w.start >= this.windowMs) this.#windows.set(key, { start: t, count: 1 });
    else w.count += 1;
    // Bounded memory: forget old windows once the map grows.
    if (this.#windows.size > 10_000) {
      for (const [k, v] of this.#windows) if (t - v.start >= this.windowMs) this.#windows.delete(k);
    }
  }
}
