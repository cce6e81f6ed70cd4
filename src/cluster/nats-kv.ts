// KV data on JetStream: one entry per (namespace, key) in the `atoll_kv` bucket. An
// entry is a 4-byte header length, a JSON header ({ e: expiration seconds | null,
// m: metadata JSON text | null, o?: object name }) and the value. A value past
// INLINE_MAX is kept in the object store (`atoll_kv_values`) and the entry names it, so
// Workers KV's 25 MiB values fit under nats-server's default 1 MiB message limit.
// nats-server 2.9 has no per-key TTL, so expiry is ours: reads hide expired entries and
// `sweep` deletes them.

import type { KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { randomBytes } from 'node:crypto';
import { compareKeys, decodeCursor, encodeCursor, type Clock, type KvEntry, type KvListOptions, type KvListPage, type KvPutOptions, type KvStore } from '../store/kv.ts';
import { kvDataKey, parseKvDataKey, seg } from './keys.ts';
import { guarded } from './unavailable.ts';

export const KV_VALUES_BUCKET = 'atoll_kv_values';
/** Values up to this size travel inside the KV entry. */
export const INLINE_MAX = 256 * 1024;

export interface DataHeader { e: number | null; m: string | null; o?: string }

export function encodeEntry(header: DataHeader, value: Uint8Array): Uint8Array {
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.alloc(4 + h.length + value.byteLength);
  out.writeUInt32BE(h.length, 0);
  h.copy(out, 4);
  out.set(value, 4 + h.length);
  return out;
}

/** Throws an Error naming what is malformed. */
export function decodeEntry(bytes: Uint8Array): { header: DataHeader; value: Uint8Array } {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4 || 4 + buf.readUInt32BE(0) > buf.length) throw new Error('KV entry is shorter than its header');
  const n = buf.readUInt32BE(0);
  let header: DataHeader;
  try {
    header = JSON.parse(buf.subarray(4, 4 + n).toString('utf8')) as DataHeader;
  } catch {
    throw new Error('KV entry header is not JSON');
  }
  if (typeof header !== 'object' || header === null || !(header.e === null || typeof header.e === 'number')
    || !(header.m === null || typeof header.m === 'string') || !(header.o === undefined || typeof header.o === 'string')) {
    throw new Error('KV entry header lacks e (expiration) or m (metadata)');
  }
  return { header, value: new Uint8Array(buf.subarray(4 + n)) };
}

export async function openValueStore(nc: NatsConnection, replicas: number): Promise<ObjectStore> {
  const objm = new Objm(nc);
  try {
    return await objm.open(KV_VALUES_BUCKET);
  } catch {
    return objm.create(KV_VALUES_BUCKET, { replicas });
  }
}

/** The value an entry holds, fetching it from the object store when it lives there. */
export async function entryValue(values: ObjectStore, header: DataHeader, inline: Uint8Array): Promise<Uint8Array | null> {
  if (header.o === undefined) return inline;
  return values.getBlob(header.o);
}

export interface NatsKvOptions {
  clock?: Clock;
}

/** KvStore over JetStream: what the stateless control API reads and writes. */
export class NatsKvStore implements KvStore {
  readonly #kv: KV;
  readonly #values: ObjectStore;
  readonly #clock: Clock;

  constructor(kv: KV, values: ObjectStore, options: NatsKvOptions = {}) {
    this.#kv = guarded(kv, 'the KV bucket');
    this.#values = guarded(values, 'the KV value store');
    this.#clock = options.clock ?? Date.now;
  }

  #live(header: DataHeader): boolean {
    return header.e === null || header.e * 1000 > this.#clock();
  }

  async #read(subject: string): Promise<{ header: DataHeader; inline: Uint8Array; revision: number } | null> {
    const e = await this.#kv.get(subject);
    if (!e || e.operation !== 'PUT') return null;
    const { header, value } = decodeEntry(e.value);
    return { header, inline: value, revision: e.revision };
  }

  async get(namespaceId: string, key: string): Promise<KvEntry | null> {
    const r = await this.#read(kvDataKey(namespaceId, key));
    if (!r || !this.#live(r.header)) return null;
    const value = await entryValue(this.#values, r.header, r.inline);
    if (value === null) return null;
    return { value, metadata: r.header.m, expiration: r.header.e };
  }

  /** Resolves with the entry's revision once JetStream has stored it. */
  async putRevision(namespaceId: string, key: string, value: Uint8Array, options: KvPutOptions = {}): Promise<number> {
    const subject = kvDataKey(namespaceId, key);
    const header: DataHeader = { e: options.expiration ?? null, m: options.metadata ?? null };
    const previous = await this.#read(subject).catch(() => null);
    let inline = value;
    if (value.byteLength > INLINE_MAX) {
      header.o = `${subject}.${randomBytes(8).toString('hex')}`;
      await this.#values.putBlob({ name: header.o }, value);
      inline = new Uint8Array(0);
    }
    const revision = await this.#kv.put(subject, encodeEntry(header, inline));
    // The replaced value's object is garbage now; readers that raced us read the new entry.
    if (previous?.header.o) await this.#values.delete(previous.header.o).catch(() => {});
    return revision;
  }

  async put(namespaceId: string, key: string, value: Uint8Array, options?: KvPutOptions): Promise<void> {
    await this.putRevision(namespaceId, key, value, options);
  }

  async delete(namespaceId: string, key: string): Promise<void> {
    const subject = kvDataKey(namespaceId, key);
    const previous = await this.#read(subject).catch(() => null);
    await this.#kv.delete(subject);
    if (previous?.header.o) await this.#values.delete(previous.header.o).catch(() => {});
  }

  async list(namespaceId: string, options: KvListOptions = {}): Promise<KvListPage> {
    const prefix = options.prefix ?? '';
    const after = decodeCursor(options.cursor);
    const limit = options.limit ?? 1000;
    const names: string[] = [];
    for await (const subject of await this.#kv.keys(`${seg(namespaceId)}.>`)) {
      const parsed = parseKvDataKey(subject);
      if (!parsed || !parsed.key.startsWith(prefix)) continue;
      if (after !== null && compareKeys(parsed.key, after) <= 0) continue;
      names.push(parsed.key);
    }
    names.sort(compareKeys);
    const keys: KvListPage['keys'] = [];
    let i = 0;
    for (; i < names.length && keys.length < limit; i++) {
      const r = await this.#read(kvDataKey(namespaceId, names[i]!));
      if (!r || !this.#live(r.header)) continue;
      keys.push({ name: names[i]!, ...(r.header.e !== null ? { expiration: r.header.e } : {}), ...(r.header.m !== null ? { metadata: r.header.m } : {}) });
    }
    if (i >= names.length) return { keys, list_complete: true };
    return { keys, list_complete: false, cursor: encodeCursor(keys.at(-1)!.name) };
  }

  async sweep(): Promise<number> {
    let n = 0;
    for await (const subject of await this.#kv.keys()) {
      const r = await this.#read(subject).catch(() => null);
      if (r && !this.#live(r.header)) {
        const parsed = parseKvDataKey(subject);
        if (parsed) {
          await this.delete(parsed.namespaceId, parsed.key);
          n++;
        }
      }
    }
    return n;
  }

  async close(): Promise<void> {}
}
