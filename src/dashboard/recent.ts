// The last hour of each worker's invocations, per location, in one-minute buckets:
// requests, errors and a CPU-time histogram fine enough for percentiles. The metrics
// registry (src/observe/metrics.ts) counts since the process started, for Prometheus,
// which does its own windows; the dashboard wants "the last hour" without a Prometheus,
// so this keeps a rolling window beside it, fed by the same event bus.

import type { EventBus } from '../observe/bus.ts';
import { isError, type InvocationEvent } from '../observe/event.ts';

const MINUTE = 60_000;
export const WINDOW_MINUTES = 60;

// CPU buckets, ms: a geometric series (ratio 1.25) from 0.01 ms to past 300 s, so a
// percentile read from them is within 25% of the true value.
const BOUNDS: number[] = [];
for (let b = 0.01; b < 400_000; b *= 1.25) BOUNDS.push(b);

interface Bucket {
  minute: number;
  requests: number;
  errors: number;
  cpu: Uint32Array;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
}

export interface WindowStats {
  requests: number;
  errors: number;
  cpu_ms: Percentiles;
}

export interface LocationStats extends WindowStats {
  location: string;
  /** One entry per minute of the window, oldest first; `start` is ISO 8601. */
  minutes: ({ start: string } & WindowStats)[];
}

const round = (n: number) => Math.round(n * 1000) / 1000;

function percentiles(cpu: Uint32Array): Percentiles {
  let total = 0;
  for (const n of cpu) total += n;
  const at = (q: number) => {
    if (total === 0) return 0;
    const rank = Math.ceil(q * total);
    let seen = 0;
    for (let i = 0; i < cpu.length; i++) {
      seen += cpu[i]!;
      if (seen >= rank) return round(BOUNDS[Math.min(i, BOUNDS.length - 1)]!);
    }
    return round(BOUNDS[BOUNDS.length - 1]!);
  };
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

function summarize(buckets: Bucket[]): WindowStats {
  const cpu = new Uint32Array(BOUNDS.length);
  let requests = 0;
  let errors = 0;
  for (const b of buckets) {
    requests += b.requests;
    errors += b.errors;
    for (let i = 0; i < cpu.length; i++) cpu[i]! += b.cpu[i]!;
  }
  return { requests, errors, cpu_ms: percentiles(cpu) };
}

export class RecentStats {
  /** Key: JSON [account, worker, location]; buckets oldest first, at most WINDOW_MINUTES. */
  readonly #series = new Map<string, Bucket[]>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Feeds this window from a bus; returns the function that stops it. */
  follow(bus: EventBus): () => void {
    return bus.subscribe((e) => this.record(e));
  }

  record(event: InvocationEvent): void {
    const key = JSON.stringify([event.account, event.worker, event.location]);
    const minute = Math.floor(this.#now() / MINUTE);
    let buckets = this.#series.get(key);
    if (!buckets) this.#series.set(key, (buckets = []));
    let last = buckets[buckets.length - 1];
    if (!last || last.minute !== minute) {
      last = { minute, requests: 0, errors: 0, cpu: new Uint32Array(BOUNDS.length) };
      buckets.push(last);
    }
    while (buckets.length > 0 && buckets[0]!.minute <= minute - WINDOW_MINUTES) buckets.shift();
    last.requests++;
    if (isError(event)) last.errors++;
    let i = BOUNDS.findIndex((b) => event.cpuMs <= b);
    if (i < 0) i = BOUNDS.length - 1;
    last.cpu[i]!++;
  }

  /** The last hour of one worker, per location (locations with no invocation in it are left out). */
  worker(account: string, worker: string): { total: WindowStats; locations: LocationStats[] } {
    const now = Math.floor(this.#now() / MINUTE);
    const first = now - WINDOW_MINUTES + 1;
    const locations: LocationStats[] = [];
    const all: Bucket[] = [];
    for (const [key, buckets] of this.#series) {
      const [a, w, location] = JSON.parse(key) as [string, string, string];
      if (a !== account || w !== worker) continue;
      const recent = buckets.filter((b) => b.minute >= first);
      if (recent.length === 0) continue;
      all.push(...recent);
      const minutes = [];
      for (let m = first; m <= now; m++) {
        const b = recent.find((x) => x.minute === m);
        minutes.push({ start: new Date(m * MINUTE).toISOString(), ...summarize(b ? [b] : []) });
      }
      locations.push({ location, ...summarize(recent), minutes });
    }
    locations.sort((x, y) => (x.location < y.location ? -1 : 1));
    return { total: summarize(all), locations };
  }

  /** The last hour of every worker of an account that ran in it. */
  account(account: string): ({ worker: string } & WindowStats)[] {
    const first = Math.floor(this.#now() / MINUTE) - WINDOW_MINUTES + 1;
    const byWorker = new Map<string, Bucket[]>();
    for (const [key, buckets] of this.#series) {
      const [a, w] = JSON.parse(key) as [string, string, string];
      if (a !== account) continue;
      const list = byWorker.get(w) ?? [];
      list.push(...buckets.filter((b) => b.minute >= first));
      byWorker.set(w, list);
    }
    return [...byWorker].map(([worker, buckets]) => ({ worker, ...summarize(buckets) })).sort((x, y) => (x.worker < y.worker ? -1 : 1));
  }

  /** Forgets a deleted worker. */
  forget(account: string, worker: string): void {
    for (const key of this.#series.keys()) {
      const [a, w] = JSON.parse(key) as [string, string, string];
      if (a === account && w === worker) this.#series.delete(key);
    }
  }
}
