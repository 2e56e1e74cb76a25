// What every outbound REST client of an integration (Xray, SonarQube, Nexus IQ, …) takes besides its
// own settings: how it paces and retries calls, and where it logs. Tests shorten the waits.

/** The subset of a pino logger the clients use. */
export interface ClientLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface ClientTransportOptions {
  /** One Bottleneck limiter carries every request of the client, retries included. */
  limits?: { maxConcurrent?: number; requestsPerSecond?: number };
  retry?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Per-request timeout. */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Source of jitter in [0, 1); Math.random by default. */
  random?: () => number;
  log?: ClientLogger;
}
