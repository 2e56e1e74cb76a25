// Periodic jobs of a worker process. Each job is idempotent and coordinates through the database,
// so several workers may run it; a failing run is logged and retried at the next tick.
import type { Logger } from '../logger.js';
import type { Database } from '../store/db.js';
import { emitExpiringExceptions } from './exception-expiry.js';

export interface Scheduler {
  stop(): Promise<void>;
}

export function startScheduler(db: Database, log: Logger, options: { intervalMs?: number; expiryNoticeDays?: number; now?: () => Date } = {}): Scheduler {
  const now = options.now ?? (() => new Date());
  let running: Promise<void> | undefined;
  const tick = () => {
    running ??= (async () => {
      try {
        const emitted = await emitExpiringExceptions(db, now(), options.expiryNoticeDays ?? 7);
        if (emitted) log.info({ emitted }, 'exception.expiring events emitted');
      } catch (error) {
        log.error({ err: error }, 'scheduled job failed');
      } finally {
        running = undefined;
      }
    })();
  };
  const timer = setInterval(tick, options.intervalMs ?? 15 * 60_000);
  timer.unref();
  tick();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
