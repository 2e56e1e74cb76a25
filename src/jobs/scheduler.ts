// Periodic jobs of a worker process. Each is idempotent and coordinates through the database, so
// several workers may run it; a failing run is logged and retried at the next tick.
import type { Logger } from '../logger.js';
import { runDueDigests } from '../notify/escalate-digest.js';
import type { Database } from '../store/db.js';
import { emitExpiringExceptions } from './exception-expiry.js';

export interface Scheduler {
  stop(): Promise<void>;
}

export interface Task {
  name: string;
  everyMs: number;
  run(now: Date): Promise<number>;
}

export function startScheduler(db: Database, log: Logger, options: { intervalMs?: number; expiryNoticeDays?: number; now?: () => Date; extra?: Task[] } = {}): Scheduler {
  const now = options.now ?? (() => new Date());
  const tasks: Task[] = [
    { name: 'exception.expiring', everyMs: options.intervalMs ?? 15 * 60_000, run: (at) => emitExpiringExceptions(db, at, options.expiryNoticeDays ?? 7) },
    // Digests are cron-scheduled to the minute.
    { name: 'digests', everyMs: Math.min(options.intervalMs ?? 60_000, 60_000), run: (at) => runDueDigests(db, at) },
    ...(options.extra ?? []),
  ];
  const running = new Set<Promise<void>>();
  const timers = tasks.map((task) => {
    let busy = false;
    const tick = () => {
      if (busy) return;
      busy = true;
      const p = task
        .run(now())
        .then((n) => {
          if (n) log.info({ task: task.name, count: n }, 'scheduled task ran');
        })
        .catch((error: unknown) => log.error({ err: error, task: task.name }, 'scheduled task failed'))
        .finally(() => {
          busy = false;
          running.delete(p);
        });
      running.add(p);
    };
    const timer = setInterval(tick, task.everyMs);
    timer.unref();
    tick();
    return timer;
  });
  return {
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.all([...running]);
    },
  };
}
