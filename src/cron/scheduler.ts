// The cron scheduler: told which deployed workers have which cron expressions (the
// edge or control plane calls `setTriggers` whenever that changes), it wakes at the
// start of every UTC minute and fires each trigger due in that minute, once. Running a
// trigger is the embedder's `fire` (pick the version, run it in an isolate, record the
// event); a run still going when the next minute comes is not started twice.
//
// A minute the process was not running for (asleep, restarted) is skipped, not caught
// up: Workers does not promise catch-up runs either.

import { CronError, parseCron, type CronSchedule } from './expression.ts';

export interface CronTriggers {
  accountId: string;
  worker: string;
  crons: string[];
}

export interface ScheduledRun {
  accountId: string;
  worker: string;
  cron: string;
  /** The minute the run is for, ms since the epoch (controller.scheduledTime). */
  scheduledTime: number;
}

export interface SchedulerOptions {
  fire(run: ScheduledRun): Promise<void>;
  log(fields: Record<string, unknown>): void;
  /** The clock, ms since the epoch. */
  now?: () => number;
}

interface Entry {
  triggers: CronTriggers;
  schedules: CronSchedule[];
}

const MINUTE = 60_000;
const key = (accountId: string, worker: string) => `${accountId}/${worker}`;

export class CronScheduler {
  readonly #opts: SchedulerOptions;
  readonly #now: () => number;
  #entries = new Map<string, Entry>();
  /** Runs in progress, by worker and cron. */
  readonly #running = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #lastMinute: number;

  constructor(opts: SchedulerOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    // The minute in progress when the scheduler starts is not fired: it began before.
    this.#lastMinute = Math.floor(this.#now() / MINUTE) * MINUTE;
  }

  /**
   * Replaces the whole set of triggers. An expression that does not parse throws a
   * CronError before anything changes (deploys validate them first with parseCron).
   */
  setTriggers(list: CronTriggers[]): void {
    const entries = new Map<string, Entry>();
    for (const t of list) {
      const entry = this.#entry(t);
      if (entry) entries.set(key(t.accountId, t.worker), entry);
    }
    this.#entries = entries;
    this.#arm();
  }

  /** Sets or removes (empty `crons`) one worker's triggers. */
  setWorker(t: CronTriggers): void {
    const entry = this.#entry(t);
    if (entry) this.#entries.set(key(t.accountId, t.worker), entry);
    else this.#entries.delete(key(t.accountId, t.worker));
    this.#arm();
  }

  #entry(t: CronTriggers): Entry | null {
    const schedules = t.crons.map((c) => {
      try {
        return parseCron(c);
      } catch (err) {
        if (err instanceof CronError) throw new CronError(`worker "${t.worker}": ${err.message}`);
        throw err;
      }
    });
    return schedules.length === 0 ? null : { triggers: { ...t, crons: schedules.map((s) => s.expression) }, schedules };
  }

  /** What fires next for a worker: [{cron, next}] with `next` in ms since the epoch. */
  upcoming(accountId: string, worker: string): { cron: string; next: number | null }[] {
    const entry = this.#entries.get(key(accountId, worker));
    const now = this.#now();
    return entry?.schedules.map((s) => ({ cron: s.expression, next: s.next(now) })) ?? [];
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#entries = new Map();
  }

  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#entries.size === 0) return;
    const now = this.#now();
    const next = (Math.floor(now / MINUTE) + 1) * MINUTE;
    this.#timer = setTimeout(() => this.#tick(), next - now);
    this.#timer.unref();
  }

  #tick(): void {
    const minute = Math.floor(this.#now() / MINUTE) * MINUTE;
    // A timer that fires a little early lands in the previous minute: wait again.
    if (minute > this.#lastMinute) {
      this.#lastMinute = minute;
      void this.runMinute(minute);
    }
    this.#arm();
  }

  /**
   * Fires every trigger due in the minute that holds `time`, as the timer does at that
   * minute's start; resolves when those runs have ended. The timer calls it; tests and
   * operators' tools may call it to run a minute without waiting for the clock.
   */
  runMinute(time: number): Promise<void> {
    const minute = Math.floor(time / MINUTE) * MINUTE;
    const runs: Promise<void>[] = [];
    for (const { triggers, schedules } of this.#entries.values()) {
      for (const s of schedules) if (s.matchesMinute(minute)) runs.push(this.#start({ accountId: triggers.accountId, worker: triggers.worker, cron: s.expression, scheduledTime: minute }));
    }
    return Promise.all(runs).then(() => {});
  }

  #start(run: ScheduledRun): Promise<void> {
    const id = `${key(run.accountId, run.worker)}\u0000${run.cron}`;
    if (this.#running.has(id)) {
      this.#opts.log({ level: 'warn', msg: 'cron run skipped: the previous run is still going', account: run.accountId, worker: run.worker, cron: run.cron, scheduledTime: new Date(run.scheduledTime).toISOString() });
      return Promise.resolve();
    }
    this.#running.add(id);
    return this.#opts.fire(run)
      .catch((err) => this.#opts.log({ level: 'error', msg: 'cron run failed to start', account: run.accountId, worker: run.worker, cron: run.cron, error: (err as Error).message }))
      .finally(() => this.#running.delete(id));
  }
}
