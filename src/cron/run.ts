// Runs one cron trigger in a worker's isolate, as invokeHttp runs one request: the
// handler's promise settles the run, waitUntil work keeps it open (up to the worker's
// waitUntil limit), then the isolate forgets it. The Invocation carries the console
// lines, exceptions, CPU and wall time the event bus and metrics report.

import type { Invocation } from '../runtime/invocation.ts';
import type { WorkerIsolate } from '../runtime/worker-isolate.ts';

export async function runScheduled(worker: WorkerIsolate, cron: string, scheduledTime: number): Promise<Invocation> {
  const inv = worker.scheduled(cron, scheduledTime);
  await inv.result;
  inv.bodyDone();
  await inv.finished(worker.def.limits.waitUntilMs);
  await worker.end(inv);
  return inv;
}
