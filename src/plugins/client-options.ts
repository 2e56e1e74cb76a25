// What every outbound REST client of an integration (Xray, SonarQube, Nexus IQ, …) takes besides its
// own settings: how it paces and retries calls, and where it logs. Tests shorten the waits.
import Bottleneck from 'bottleneck';

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

export interface Pacing {
  limiter: Bottleneck;
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The limiter and retry settings of a client, from its options over the tool's defaults. minTime
 * spaces request STARTS by 1000/rps ms, so no second ever holds more than rps of them (a refreshing
 * reservoir would allow bursts at its refresh boundaries). `badConfig` names the tool's error code.
 */
export function clientPacing(options: ClientTransportOptions, defaults: { requestsPerSecond: number; maxConcurrent: number }, badConfig: (message: string) => Error): Pacing {
  const rps = options.limits?.requestsPerSecond ?? defaults.requestsPerSecond;
  const maxConcurrent = options.limits?.maxConcurrent ?? defaults.maxConcurrent;
  if (!(rps > 0) || !Number.isFinite(rps)) throw badConfig('limits.requestsPerSecond must be a positive number.');
  if (!(maxConcurrent >= 1)) throw badConfig('limits.maxConcurrent must be at least 1.');
  return {
    limiter: new Bottleneck({ maxConcurrent, minTime: Math.ceil(1000 / rps) }),
    attempts: Math.max(1, Math.floor(options.retry?.attempts ?? 5)),
    baseDelayMs: options.retry?.baseDelayMs ?? 500,
    maxDelayMs: options.retry?.maxDelayMs ?? 30_000,
    sleep: options.sleep ?? defaultSleep,
    random: options.random ?? Math.random,
  };
}
