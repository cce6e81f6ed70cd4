// What a scheduler's `fire` does on a node that runs isolates (an edge, `atoll dev`):
// pick the version the worker's deployment serves now, run the trigger in that
// version's isolate, and record the run in telemetry like a request.

import type { Telemetry } from '../observe/telemetry.ts';
import { UserError } from '../runtime/errors.ts';
import type { WorkerIsolate } from '../runtime/worker-isolate.ts';
import { runScheduled } from './run.ts';
import type { ScheduledRun } from './scheduler.ts';

export interface CronFireOptions {
  location: string;
  telemetry: Telemetry;
  /** The version to run for the worker now (a split picks one per run), or null if it is not deployed. */
  version(accountId: string, worker: string): string | null;
  /** Runs `fn` with the version's isolate (WorkerRegistry.run on an edge). */
  withIsolate<T>(ref: { accountId: string; worker: string; versionId: string }, fn: (w: WorkerIsolate) => Promise<T>): Promise<T>;
  log(fields: Record<string, unknown>): void;
}

export function cronFire(opts: CronFireOptions): (run: ScheduledRun) => Promise<void> {
  return async (run) => {
    const versionId = opts.version(run.accountId, run.worker);
    const fields = { location: opts.location, account: run.accountId, worker: run.worker, cron: run.cron };
    if (versionId === null) {
      opts.log({ level: 'warn', msg: 'cron trigger for a worker with no deployment; nothing ran', ...fields });
      return;
    }
    const ref = { accountId: run.accountId, worker: run.worker, versionId };
    try {
      const inv = await opts.withIsolate(ref, (w) => runScheduled(w, run.cron, run.scheduledTime));
      const event = opts.telemetry.invocation(inv, { location: opts.location, account: run.accountId, worker: run.worker, version: versionId }, run);
      opts.log({ level: event.outcome === 'ok' ? 'info' : 'warn', msg: 'cron run', ...fields, version: versionId, outcome: event.outcome, cpuMs: event.cpuMs, wallMs: event.wallMs });
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      // The version's top level failed: there is no invocation to record, only why.
      opts.log({ level: 'error', msg: 'cron run: the worker failed to start', ...fields, version: versionId, error: err.message, code: err.code });
    }
  };
}
