// How many bytes of KV values and cache bodies one worker isolate may have on their way
// into storage at once. Each write holds its value in host memory until it is stored,
// and a worker may start 50 of them (its sub-request limit) in every invocation: without
// a budget, 50 concurrent 25 MiB puts would make the host hold 1.25 GB for one tenant.

import type { WorkerIsolate } from '../worker-isolate.ts';

/** Room for two maximum-size KV values at once, and change. */
export const WRITE_BUDGET_BYTES = 64 * 1024 * 1024;

const inFlight = new WeakMap<WorkerIsolate, number>();

/** Takes `n` bytes of the worker's budget; false (and nothing taken) when they do not fit. */
export function reserveWrite(worker: WorkerIsolate, n: number): boolean {
  const used = inFlight.get(worker) ?? 0;
  if (used + n > WRITE_BUDGET_BYTES) return false;
  inFlight.set(worker, used + n);
  return true;
}

export function releaseWrite(worker: WorkerIsolate, n: number): void {
  inFlight.set(worker, Math.max(0, (inFlight.get(worker) ?? 0) - n));
}
