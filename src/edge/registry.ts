// The isolates an edge node runs: one per worker version, created on its first request
// (concurrent first requests share one cold start), kept warm, replaced when one dies of
// a limit, evicted least-recently-used past `maxIsolates`, and retired when its version
// stops being deployed or its definition changes. A retired isolate finishes the
// requests it is serving before it is disposed; new requests get a new entry.

import { WorkerIsolate, type WorkerDefinition } from '../runtime/worker-isolate.ts';
import type { HostServices } from '../runtime/ops/index.ts';

export interface VersionRef {
  accountId: string;
  worker: string;
  versionId: string;
}

export interface RegistryOptions {
  /** Isolates kept past their requests; the least recently used idle ones go first. */
  maxIsolates: number;
  load(ref: VersionRef): Promise<WorkerDefinition>;
  /** The services for one version's isolate; `onDead` must reach the registry. */
  services(ref: VersionRef, onDead: (worker: WorkerIsolate, reason: string) => void): HostServices;
  log(fields: Record<string, unknown>): void;
}

/** How long a retired isolate may finish its requests before it is stopped anyway. */
const RETIRE_GRACE_MS = 60_000;

interface Entry {
  key: string;
  ref: VersionRef;
  isolate: WorkerIsolate | null;
  creating: Promise<WorkerIsolate> | null;
  /** Requests (and warm-ups) holding this entry. */
  users: number;
  retired: boolean;
}

export interface LoadedVersion extends VersionRef {
  state: 'starting' | 'warm';
  requests: number;
}

const keyOf = (r: VersionRef) => `${r.accountId}/${r.worker}/${r.versionId}`;

export class WorkerRegistry {
  readonly #opts: RegistryOptions;
  /** In least- to most-recently-used order (a Map keeps insertion order). */
  readonly #entries = new Map<string, Entry>();
  /** Isolates created so far, cold starts and replacements included. */
  created = 0;

  constructor(opts: RegistryOptions) {
    this.#opts = opts;
  }

  /** Runs `fn` with the version's isolate; the isolate is not disposed while `fn` runs. */
  async run<T>(ref: VersionRef, fn: (worker: WorkerIsolate) => Promise<T>): Promise<T> {
    const entry = this.#touch(ref);
    entry.users++;
    try {
      return await fn(await this.#isolate(entry));
    } finally {
      entry.users--;
      if (entry.retired) {
        if (entry.users === 0) this.#dispose(entry, 'retired');
      } else {
        this.#evict();
      }
    }
  }

  /** Starts the version's isolate ahead of its first request (after a deploy). */
  warm(ref: VersionRef): Promise<void> {
    return this.run(ref, async () => {});
  }

  /** Retires every loaded version `drop` selects. */
  retire(drop: (ref: VersionRef) => boolean): void {
    for (const entry of [...this.#entries.values()]) {
      if (!drop(entry.ref)) continue;
      this.#entries.delete(entry.key);
      entry.retired = true;
      if (entry.users === 0) this.#dispose(entry, 'retired');
      else setTimeout(() => this.#dispose(entry, 'retired'), RETIRE_GRACE_MS).unref();
    }
  }

  /** What is loaded, for "which version runs where". */
  loaded(): LoadedVersion[] {
    return [...this.#entries.values()].map((e) => ({
      ...e.ref, state: e.isolate && !e.isolate.dead ? 'warm' : 'starting', requests: e.users,
    }));
  }

  get size(): number {
    return this.#entries.size;
  }

  close(): void {
    this.retire(() => true);
  }

  #touch(ref: VersionRef): Entry {
    const key = keyOf(ref);
    let entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key);
    } else {
      entry = { key, ref: { ...ref }, isolate: null, creating: null, users: 0, retired: false };
    }
    this.#entries.set(key, entry);
    return entry;
  }

  #isolate(entry: Entry): Promise<WorkerIsolate> {
    if (entry.isolate && !entry.isolate.dead) return Promise.resolve(entry.isolate);
    entry.creating ??= this.#create(entry).finally(() => { entry.creating = null; });
    return entry.creating;
  }

  async #create(entry: Entry): Promise<WorkerIsolate> {
    const def = await this.#opts.load(entry.ref);
    const services = this.#opts.services(entry.ref, (w, reason) => this.#onDead(entry, w, reason));
    const t0 = performance.now();
    const isolate = await WorkerIsolate.create(def, services);
    this.created++;
    entry.isolate = isolate;
    this.#opts.log({ level: 'info', msg: 'isolate started', ...entry.ref, ms: Math.round((performance.now() - t0) * 10) / 10 });
    return isolate;
  }

  #onDead(entry: Entry, worker: WorkerIsolate, reason: string): void {
    if (entry.isolate !== worker) return;
    // The next request starts a fresh isolate; the dead one's requests were answered.
    entry.isolate = null;
    if (!entry.retired && reason !== 'canceled') this.#opts.log({ level: 'warn', msg: 'isolate stopped; the next request starts a fresh one', ...entry.ref, reason });
  }

  #dispose(entry: Entry, why: 'retired' | 'evicted'): void {
    const isolate = entry.isolate;
    entry.isolate = null;
    if (!isolate || isolate.dead) return;
    isolate.dispose();
    this.#opts.log({ level: 'info', msg: why === 'retired' ? 'isolate disposed (version retired)' : 'isolate disposed (least recently used)', ...entry.ref, why });
  }

  #evict(): void {
    if (this.#entries.size <= this.#opts.maxIsolates) return;
    for (const entry of this.#entries.values()) {
      if (this.#entries.size <= this.#opts.maxIsolates) return;
      // Busy isolates stay; the table may run over its size until they are idle.
      if (entry.users > 0) continue;
      this.#entries.delete(entry.key);
      this.#dispose(entry, 'evicted');
    }
  }
}
