// startWorker / runInIsolate with a generous CPU limit, for tests about behaviour rather
// than limits: on a loaded test machine a cold isolate's first request has been seen to
// cross the default 50 ms, which would fail a test that checks something else entirely.
// A test that sets its own limits keeps them.

import { runInIsolate as runInIsolateStrict, startWorker as startWorkerStrict, type TestWorker, type TestWorkerOptions } from './worker.ts';

const RELAXED_CPU_MS = 1000;

function relaxed(opts: TestWorkerOptions = {}): TestWorkerOptions {
  return { ...opts, limits: { cpuMs: RELAXED_CPU_MS, ...opts.limits } };
}

export function startWorker(code: string, opts?: TestWorkerOptions): Promise<TestWorker> {
  return startWorkerStrict(code, relaxed(opts));
}

export function runInIsolate<T = unknown>(body: string, opts?: TestWorkerOptions): Promise<T> {
  return runInIsolateStrict<T>(body, relaxed(opts));
}
