// Counters and histograms per worker and location, fed by invocation events, written
// in the Prometheus text exposition format (version 0.0.4,
// https://prometheus.io/docs/instrumenting/exposition_formats/): one HELP and one TYPE
// line per metric family, cumulative `_bucket` series with an `le` label ending in
// "+Inf", then `_sum` and `_count`; label values escape backslash, double quote and
// newline. Times are in seconds, as Prometheus conventions ask.

import { isError, type InvocationEvent } from './event.ts';

const CPU_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const WALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

class Histogram {
  readonly bounds: number[];
  /** Per bucket, not cumulative; the last is +Inf. */
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(bounds: number[]) {
    this.bounds = bounds;
    this.counts = new Array(bounds.length + 1).fill(0);
  }
  observe(v: number): void {
    let i = this.bounds.findIndex((b) => v <= b);
    if (i < 0) i = this.bounds.length;
    this.counts[i]!++;
    this.sum += v;
    this.count++;
  }
  cumulative(): number[] {
    let n = 0;
    return this.counts.map((c) => (n += c));
  }
}

interface Series {
  account: string;
  worker: string;
  location: string;
  requests: { fetch: number; scheduled: number };
  /** Errors by trigger and outcome ("exception", ..., or "http_5xx" for a 5xx sent with outcome ok). */
  errors: Map<string, number>;
  cpu: Histogram;
  wall: Histogram;
}

/** One worker's numbers at one location, as the API shows them. */
export interface MetricsSummary {
  worker: string;
  location: string;
  requests: number;
  scheduled_runs: number;
  errors: number;
  errors_by_outcome: Record<string, number>;
  cpu_ms: { sum: number; avg: number };
  wall_ms: { sum: number; avg: number };
}

export function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

const labels = (pairs: Record<string, string>) => `{${Object.entries(pairs).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
/** Prometheus writes floats in Go's notation; JavaScript's shortest form parses the same. */
const num = (n: number) => (n === Infinity ? '+Inf' : String(n));

export class MetricsRegistry {
  readonly #series = new Map<string, Series>();

  record(event: InvocationEvent): void {
    const key = JSON.stringify([event.account, event.worker, event.location]);
    let s = this.#series.get(key);
    if (!s) {
      s = {
        account: event.account, worker: event.worker, location: event.location,
        requests: { fetch: 0, scheduled: 0 }, errors: new Map(), cpu: new Histogram(CPU_BUCKETS), wall: new Histogram(WALL_BUCKETS),
      };
      this.#series.set(key, s);
    }
    s.requests[event.trigger]++;
    if (isError(event)) {
      const why = `${event.trigger}\u0000${event.outcome === 'ok' ? 'http_5xx' : event.outcome}`;
      s.errors.set(why, (s.errors.get(why) ?? 0) + 1);
    }
    s.cpu.observe(event.cpuMs / 1000);
    s.wall.observe(event.wallMs / 1000);
  }

  /** Forgets a deleted worker's series. */
  forget(account: string, worker: string): void {
    for (const [key, s] of this.#series) if (s.account === account && s.worker === worker) this.#series.delete(key);
  }

  /** The Prometheus text for every series `include` keeps (all by default). */
  prometheus(include: (account: string) => boolean = () => true): string {
    const series = [...this.#series.values()].filter((s) => include(s.account));
    const out: string[] = [];
    const family = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const id = (s: Series) => ({ account: s.account, worker: s.worker, location: s.location });

    family('atoll_worker_requests_total', 'counter', 'Worker invocations that ended, by trigger (fetch or scheduled).');
    for (const s of series) {
      for (const trigger of ['fetch', 'scheduled'] as const) {
        if (s.requests[trigger] > 0) out.push(`atoll_worker_requests_total${labels({ ...id(s), trigger })} ${s.requests[trigger]}`);
      }
    }
    family('atoll_worker_errors_total', 'counter', 'Worker invocations that ended in an error, by trigger and outcome (http_5xx: the worker answered with a 5xx).');
    for (const s of series) {
      for (const [why, n] of s.errors) {
        const [trigger, outcome] = why.split('\u0000') as [string, string];
        out.push(`atoll_worker_errors_total${labels({ ...id(s), trigger, outcome })} ${n}`);
      }
    }
    const histogram = (name: string, help: string, pick: (s: Series) => Histogram) => {
      family(name, 'histogram', help);
      for (const s of series) {
        const h = pick(s);
        const cumulative = h.cumulative();
        [...h.bounds, Infinity].forEach((le, i) => out.push(`${name}_bucket${labels({ ...id(s), le: num(le) })} ${cumulative[i]}`));
        out.push(`${name}_sum${labels(id(s))} ${num(h.sum)}`, `${name}_count${labels(id(s))} ${h.count}`);
      }
    };
    histogram('atoll_worker_cpu_seconds', 'CPU time of worker invocations, in seconds.', (s) => s.cpu);
    histogram('atoll_worker_wall_seconds', 'Wall time of worker invocations (waitUntil work included), in seconds.', (s) => s.wall);
    return `${out.join('\n')}\n`;
  }

  /** The numbers of one account's workers (one worker's, if named), per location. */
  summary(account: string, worker?: string): MetricsSummary[] {
    const ms = (n: number) => Math.round(n * 1e5) / 100;
    return [...this.#series.values()]
      .filter((s) => s.account === account && (worker === undefined || s.worker === worker))
      .map((s) => {
        const byOutcome: Record<string, number> = {};
        for (const [why, n] of s.errors) {
          const outcome = why.split('\u0000')[1]!;
          byOutcome[outcome] = (byOutcome[outcome] ?? 0) + n;
        }
        const count = s.cpu.count;
        return {
          worker: s.worker, location: s.location,
          requests: s.requests.fetch, scheduled_runs: s.requests.scheduled,
          errors: Object.values(byOutcome).reduce((a, b) => a + b, 0), errors_by_outcome: byOutcome,
          cpu_ms: { sum: ms(s.cpu.sum), avg: count ? ms(s.cpu.sum / count) : 0 },
          wall_ms: { sum: ms(s.wall.sum), avg: count ? ms(s.wall.sum / count) : 0 },
        };
      });
  }
}
