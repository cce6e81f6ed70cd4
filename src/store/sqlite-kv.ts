// The embedded KV engine: SQLite in `<dir>/kv.sqlite3`, run on its own worker thread so
// that big writes and fsyncs never stall the main thread (HTTP, the CPU watchdog).
// `openSqliteKv(dir)` is what `atoll dev` (.atoll/kv) and `atoll up` call.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Clock, KvEntry, KvListOptions, KvListPage, KvPutOptions, KvStore } from './kv.ts';
import { KV_LIMITS } from './kv.ts';
import type { SqliteKvOptions } from './sqlite-kv-core.ts';
import { ThreadCalls, threadOpened } from './thread-calls.ts';

export type KvRequest = { id: number; now: number } & (
  | { op: 'get'; ns: string; key: string }
  | { op: 'put'; ns: string; key: string; value: Uint8Array; options: KvPutOptions }
  | { op: 'delete'; ns: string; key: string }
  | { op: 'list'; ns: string; prefix: string; limit: number; cursor: string | null }
  | { op: 'sweep' }
  | { op: 'close' }
);

export type KvResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface OpenSqliteKvOptions extends SqliteKvOptions {
  clock?: Clock;
  /** How often expired keys are deleted, ms (reads never see them either way). */
  sweepIntervalMs?: number;
}

// Small buffers may be slices of Node's shared Buffer pool, which must never move.
const TRANSFER_MIN_BYTES = 64 * 1024;

function transferable(value: Uint8Array): boolean {
  return value.byteLength >= TRANSFER_MIN_BYTES && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength
    && value.buffer instanceof ArrayBuffer;
}

export class SqliteKvStore implements KvStore {
  readonly file: string;
  readonly #worker: Worker;
  readonly #clock: Clock;
  readonly #calls: ThreadCalls;
  readonly #sweeper: NodeJS.Timeout;
  #outbox: KvRequest[] = [];
  #transfer: ArrayBuffer[] = [];
  #closed: Promise<void> | null = null;

  /** Use openSqliteKv(). */
  constructor(file: string, worker: Worker, options: OpenSqliteKvOptions) {
    this.file = file;
    this.#worker = worker;
    this.#clock = options.clock ?? Date.now;
    this.#calls = new ThreadCalls(worker, `KV store ${file}`);
    worker.on('message', (batch: KvResponse[]) => {
      for (const res of batch) {
        this.#calls.settle(res.id, res.ok ? res : { ok: false, error: new Error(`KV store ${file}: ${res.error}`) });
      }
    });
    this.#sweeper = setInterval(() => { this.sweep().catch(() => {}); }, options.sweepIntervalMs ?? 60_000);
    this.#sweeper.unref();
  }

  #call<T>(req: DistributiveOmit<KvRequest, 'id' | 'now'>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error(`KV store ${this.file} is closed`));
    return this.#calls.start<T>((id) => {
      // A big value that owns its whole buffer is handed over, not cloned: cloning
      // 25 MiB costs the main thread tens of ms (bench/kv.ts). See KvStore.put.
      if (req.op === 'put' && transferable(req.value)) this.#transfer.push(req.value.buffer as ArrayBuffer);
      if (this.#outbox.length === 0) queueMicrotask(() => this.#flush());
      this.#outbox.push({ ...req, id, now: this.#clock() } as KvRequest);
    });
  }

  // Calls made in the same turn cross to the thread as one message: under load the
  // per-message cost, not SQLite, is what limits the rate.
  #flush(): void {
    const batch = this.#outbox;
    const transfer = this.#transfer;
    this.#outbox = [];
    this.#transfer = [];
    if (this.#calls.failure) return;
    this.#worker.postMessage(batch, transfer);
  }

  get(ns: string, key: string): Promise<KvEntry | null> {
    return this.#call({ op: 'get', ns, key });
  }

  put(ns: string, key: string, value: Uint8Array, options: KvPutOptions = {}): Promise<void> {
    return this.#call({ op: 'put', ns, key, value, options: { expiration: options.expiration ?? null, metadata: options.metadata ?? null } });
  }

  delete(ns: string, key: string): Promise<void> {
    return this.#call({ op: 'delete', ns, key });
  }

  list(ns: string, options: KvListOptions = {}): Promise<KvListPage> {
    return this.#call({ op: 'list', ns, prefix: options.prefix ?? '', limit: options.limit ?? KV_LIMITS.listMax, cursor: options.cursor ?? null });
  }

  sweep(): Promise<number> {
    return this.#call({ op: 'sweep' });
  }

  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    clearInterval(this.#sweeper);
    const closing = this.#calls.failure ? Promise.resolve() : this.#call<void>({ op: 'close' }).catch(() => {});
    this.#calls.closing = true;
    this.#closed = closing.then(() => this.#worker.terminate()).then(() => {});
    return this.#closed;
  }
}

/** Opens (creating if needed) the KV database in `dir`; resolves once it is usable. */
export async function openSqliteKv(dir: string, options: OpenSqliteKvOptions = {}): Promise<SqliteKvStore> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('openSqliteKv: dir must be a folder path');
  if (options.synchronous !== undefined && options.synchronous !== 'full' && options.synchronous !== 'normal') {
    throw new TypeError(`openSqliteKv: synchronous must be 'full' or 'normal', not ${JSON.stringify(options.synchronous)}`);
  }
  const interval = options.sweepIntervalMs;
  if (interval !== undefined && !(Number.isFinite(interval) && interval >= 10)) {
    throw new RangeError(`openSqliteKv: sweepIntervalMs must be at least 10, not ${String(interval)}`);
  }
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'kv.sqlite3');
  const worker = new Worker(new URL('./sqlite-kv-worker.ts', import.meta.url), {
    workerData: { file, options: { synchronous: options.synchronous } },
  });
  await threadOpened(worker, `KV store ${file}`, ([res]: KvResponse[]) => (res.ok ? null : res.error));
  return new SqliteKvStore(file, worker, options);
}
