// KV at an edge: reads from a local SQLite copy, writes to JetStream. The copy follows
// the `atoll_kv` bucket's watch in revision order, so a value written anywhere shows up
// at every edge once its watch delivers it (eventual consistency; docs/architecture.md
// gives the bound), and an edge cut off from NATS keeps reading what it last had. A
// write made at this edge waits (up to WRITE_SEEN_MS) for the copy to hold it, so the
// worker that wrote a key reads it back at once.

import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { ObjectStore } from '@nats-io/obj';
import type { QueuedIterator } from '@nats-io/transport-node';
import type { KvEntry, KvListOptions, KvListPage, KvPutOptions, KvStore } from '../store/kv.ts';
import type { SqliteKvStore } from '../store/sqlite-kv.ts';
import type { Log } from './connection.ts';
import type { Problem } from './control-state.ts';
import type { EdgeMirror } from './edge-mirror.ts';
import { parseKvDataKey } from './keys.ts';
import { watchBucket } from './nats-control-store.ts';
import { decodeEntry, entryValue, type NatsKvStore } from './nats-kv.ts';

const WRITE_SEEN_MS = 2000;

export class EdgeKv implements KvStore {
  readonly #local: SqliteKvStore;
  readonly #mirror: EdgeMirror;
  readonly #log: Log;
  #remote: NatsKvStore | null = null;
  #values: ObjectStore | null = null;
  #iter: QueuedIterator<KvWatchEntry> | null = null;
  #queue: Promise<void> = Promise.resolve();
  #revision: number;
  readonly #waiters: { revision: number; resolve: () => void }[] = [];
  readonly problems = new Map<string, Problem>();

  constructor(local: SqliteKvStore, mirror: EdgeMirror, log: Log) {
    this.#local = local;
    this.#mirror = mirror;
    this.#log = log;
    this.#revision = mirror.progress('kv');
  }

  /** Starts following the KV bucket from where the local copy left off. */
  async attach(data: KV, values: ObjectStore, remote: NatsKvStore): Promise<void> {
    this.#values = values;
    this.#remote = remote;
    this.#iter = await watchBucket(data, this.#revision, (e) => {
      this.#queue = this.#queue.then(() => this.#apply(e)).catch((err) => {
        this.#log({ level: 'error', msg: 'KV entry not applied', key: e.key, revision: e.revision, error: (err as Error).stack });
      });
    });
    await this.#queue;
  }

  async #apply(e: KvWatchEntry): Promise<void> {
    const parsed = parseKvDataKey(e.key);
    if (!parsed) {
      this.#skip(e, 'the key is not NAMESPACE.BASE64URL(KEY)');
    } else if (e.operation !== 'PUT') {
      await this.#local.delete(parsed.namespaceId, parsed.key);
    } else {
      let entry;
      try {
        entry = decodeEntry(e.value);
      } catch (err) {
        this.#skip(e, (err as Error).message);
      }
      if (entry) {
        const value = await entryValue(this.#values!, entry.header, entry.value);
        // A value replaced again meanwhile has had its object deleted; the newer entry follows.
        if (value !== null) await this.#local.put(parsed.namespaceId, parsed.key, value, { expiration: entry.header.e, metadata: entry.header.m });
        this.problems.delete(e.key);
      }
    }
    this.#revision = Math.max(this.#revision, e.revision);
    this.#mirror.setProgress('kv', e.revision);
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      if (this.#waiters[i]!.revision <= e.revision) this.#waiters.splice(i, 1)[0]!.resolve();
    }
  }

  #skip(e: KvWatchEntry, why: string): void {
    const problem: Problem = { subject: e.key, code: 'malformed_record', message: `KV entry "${e.key.slice(0, 200)}" (revision ${e.revision}) skipped: ${why}`, at: Date.now() };
    this.problems.set(e.key, problem);
    this.#log({ level: 'warn', msg: 'KV entry skipped', code: problem.code, key: e.key.slice(0, 200), error: problem.message });
  }

  /** Resolves when the local copy holds `revision`, or after `ms` regardless. */
  #seen(revision: number, ms: number): Promise<void> {
    if (this.#revision >= revision) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = { revision, resolve: () => { clearTimeout(timer); resolve(); } };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        resolve();
      }, ms);
      this.#waiters.push(waiter);
    });
  }

  #writer(): NatsKvStore {
    if (!this.#remote) throw new Error('KV writes need NATS, which this edge has not reached yet; reads still work from its local copy');
    return this.#remote;
  }

  get(namespaceId: string, key: string): Promise<KvEntry | null> {
    return this.#local.get(namespaceId, key);
  }

  list(namespaceId: string, options?: KvListOptions): Promise<KvListPage> {
    return this.#local.list(namespaceId, options);
  }

  async put(namespaceId: string, key: string, value: Uint8Array, options?: KvPutOptions): Promise<void> {
    await this.#seen(await this.#writer().putRevision(namespaceId, key, value, options), WRITE_SEEN_MS);
  }

  async delete(namespaceId: string, key: string): Promise<void> {
    await this.#writer().delete(namespaceId, key);
  }

  sweep(): Promise<number> {
    return this.#local.sweep();
  }

  /** Stops following; the local store is closed by its owner. */
  async close(): Promise<void> {
    this.#iter?.stop();
    await this.#queue;
  }
}
