// One invocation of a worker (a request, a cron run), seen from the host: its CPU
// account, its sub-request count, its console lines, and the promises that tell the
// embedder when the response head is ready and when everything (waitUntil) is done.

import type { ErrorInfo, ResponseHead } from '../shared/ops.ts';
import type { Outcome } from './errors.ts';

export type InvocationResult =
  | { kind: 'response'; head: ResponseHead }
  | { kind: 'error'; outcome: Outcome; error: ErrorInfo; passThrough: boolean };

export interface LogLine {
  level: string;
  message: string;
  time: number;
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

let nextId = 1;

export class Invocation {
  readonly id = nextId++;
  readonly startedAt = performance.now();
  /** CPU time charged to this invocation, in nanoseconds. */
  cpuNs = 0n;
  subrequests = 0;
  readonly logs: LogLine[] = [];
  readonly exceptions: ErrorInfo[] = [];
  outcome: Outcome = 'ok';
  ended = false;
  /** Host-side aborters for ops in flight (fetches, timers), run when the invocation ends. */
  readonly inflight = new Map<number, AbortController>();

  readonly #result = deferred<InvocationResult>();
  #settled = false;
  readonly #waitUntil = deferred<void>();
  readonly #bodyDone = deferred<void>();

  readonly cpuLimitNs: bigint;
  readonly subrequestLimit: number;

  constructor(cpuLimitNs: bigint, subrequestLimit: number) {
    this.cpuLimitNs = cpuLimitNs;
    this.subrequestLimit = subrequestLimit;
  }

  /** Resolves once: with the response head, or with the reason there is none. */
  get result(): Promise<InvocationResult> {
    return this.#result.promise;
  }

  get responded(): boolean {
    return this.#settled;
  }

  settle(result: InvocationResult): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    if (result.kind === 'error') {
      this.outcome = result.outcome;
      if (result.outcome === 'exception') this.exceptions.push(result.error);
    }
    this.#result.resolve(result);
    return true;
  }

  waitUntilSettled(): void {
    this.#waitUntilDone = true;
    this.#waitUntil.resolve();
  }

  #waitUntilDone = false;

  /** True once the prelude said every waitUntil promise settled (it forgot the invocation then). */
  waitUntilReported = false;

  bodyDone(): void {
    this.#bodyDone.resolve();
  }

  /** Resolves when the body is out and every waitUntil promise has settled (or timed out). */
  async finished(waitUntilTimeoutMs: number): Promise<void> {
    await this.#bodyDone.promise;
    // The common case (no waitUntil work, or it finished with the response): no timer.
    if (this.#waitUntilDone) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#waitUntil.promise,
      new Promise<void>((r) => { timer = setTimeout(r, waitUntilTimeoutMs); }),
    ]);
    clearTimeout(timer);
  }

  get cpuMs(): number {
    return Number(this.cpuNs) / 1e6;
  }

  get wallMs(): number {
    return performance.now() - this.startedAt;
  }
}
