// KV binding ops, served by the embedder's KvStore (SQLite under .atoll/kv in dev).
// Everything here arrives from tenant code: the namespace id must be one of the
// worker's own bindings, and every argument is checked again with Workers' limits
// (src/store/kv-limits.ts), whatever the prelude already checked.

import { OpError } from '../errors.ts';
import type { OpContext } from './index.ts';
import type { KvGetResult, KvListResult, KvPutOptions } from '../../shared/ops.ts';
import type { KvStore } from '../../store/kv.ts';
import { checkBulkKeys, checkBulkSize, checkCacheTtl, checkExpiration, checkKey, checkListOptions, checkMetadata, checkValueLength, KvLimitError } from '../../store/kv-limits.ts';
import { countSubrequest } from './fetch.ts';
import { releaseWrite, reserveWrite, WRITE_BUDGET_BYTES } from './write-budget.ts';

/** The store, once `ns` is known to be bound to this worker; counts one sub-request. */
function namespace(ctx: OpContext, ns: unknown): KvStore {
  const bound = typeof ns === 'string' && ctx.worker.def.bindings.some((b) => b.type === 'kv_namespace' && b.namespaceId === ns);
  if (!bound) {
    const shown = typeof ns === 'string' ? JSON.stringify(ns.slice(0, 64)) : typeof ns;
    throw new OpError('Error', `KV namespace ${shown} is not bound to this worker.`);
  }
  const kv = ctx.worker.services.kv;
  if (!kv) throw new OpError('Error', 'KV is not available in this runtime: no KV store is configured.');
  countSubrequest(ctx);
  return kv;
}

// KvLimitError carries the tenant-facing type and message; anything else is our bug.
async function guarded<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof KvLimitError) throw new OpError(err.type, err.message);
    throw err;
  }
}

function tooManyWrites(): OpError {
  return new OpError('Error', `KV PUT failed: 429 Too Many Requests: this worker already has ${WRITE_BUDGET_BYTES} bytes of writes in flight.`);
}

/**
 * Pulls a put's value stream from the isolate, refusing it past 25 MiB; each chunk is
 * taken from the worker's write budget as it arrives (`held` counts what was taken).
 */
async function pullValue(ctx: OpContext, streamId: number, held: { bytes: number }): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const refuse = (err: Error) => {
    ctx.worker.cancelStream(ctx.inv!, streamId, err.message);
    return err;
  };
  for (;;) {
    let chunk: Uint8Array | null;
    try {
      chunk = await ctx.worker.pull(ctx.inv!, streamId);
    } catch (err) {
      // The tenant's own stream failed: its message goes back to it as it was.
      throw new OpError('Error', (err as Error).message);
    }
    if (chunk === null) break;
    if (!(chunk instanceof Uint8Array)) throw new OpError('TypeError', 'KV put() stream values must be streams of bytes.');
    total += chunk.byteLength;
    try {
      checkValueLength(total);
    } catch (err) {
      throw refuse(err as Error);
    }
    if (!reserveWrite(ctx.worker, chunk.byteLength)) throw refuse(tooManyWrites());
    held.bytes += chunk.byteLength;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export const kvOps = {
  kv_get(ctx: OpContext, ns: string, k: string, cacheTtl: number | null): Promise<KvGetResult> {
    return guarded(async () => {
      const store = namespace(ctx, ns);
      const name = checkKey('GET', k);
      // cacheTtl tunes Workers' edge caching of KV reads; here every read is local.
      checkCacheTtl(cacheTtl);
      const entry = await store.get(ns, name);
      return entry ? { value: entry.value, metadata: entry.metadata } : { value: null, metadata: null };
    });
  },

  kv_get_bulk(ctx: OpContext, ns: string, keys: string[], cacheTtl: number | null): Promise<KvGetResult[]> {
    return guarded(async () => {
      const store = namespace(ctx, ns);
      const names = checkBulkKeys(keys);
      checkCacheTtl(cacheTtl, 'GET_BULK');
      const entries = await Promise.all(names.map((k) => store.get(ns, k)));
      checkBulkSize(entries.reduce((n, e) => n + (e?.value.byteLength ?? 0), 0));
      return entries.map((e) => (e ? { value: e.value, metadata: e.metadata } : { value: null, metadata: null }));
    });
  },

  kv_put(ctx: OpContext, ns: string, k: string, value: { bytes: Uint8Array } | { stream: number }, options: KvPutOptions): Promise<void> {
    return guarded(async () => {
      let store: KvStore, name: string, metadata: string | null, expiration: number | null;
      try {
        store = namespace(ctx, ns);
        name = checkKey('PUT', k);
        if (options === null || typeof options !== 'object') throw new OpError('TypeError', 'KV put() options must be an object.');
        metadata = checkMetadata(options.metadata);
        expiration = checkExpiration(options, Date.now());
      } catch (err) {
        // A stream value refused before it was read is released, not left waiting for a pull.
        const stream = value !== null && typeof value === 'object' && 'stream' in value ? value.stream : null;
        if (Number.isInteger(stream)) ctx.worker.cancelStream(ctx.inv!, stream as number, 'KV put failed');
        throw err;
      }
      const held = { bytes: 0 };
      try {
        let bytes: Uint8Array;
        if (value !== null && typeof value === 'object' && 'bytes' in value && value.bytes instanceof Uint8Array) {
          bytes = value.bytes;
          checkValueLength(bytes.byteLength);
          if (!reserveWrite(ctx.worker, bytes.byteLength)) throw tooManyWrites();
          held.bytes = bytes.byteLength;
        } else if (value !== null && typeof value === 'object' && 'stream' in value && Number.isInteger(value.stream)) {
          bytes = await pullValue(ctx, value.stream, held);
        } else {
          throw new OpError('TypeError', 'KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values.');
        }
        await store.put(ns, name, bytes, { expiration, metadata });
      } finally {
        releaseWrite(ctx.worker, held.bytes);
      }
    });
  },

  kv_delete(ctx: OpContext, ns: string, k: string): Promise<void> {
    return guarded(async () => {
      const store = namespace(ctx, ns);
      await store.delete(ns, checkKey('DELETE', k));
    });
  },

  kv_list(ctx: OpContext, ns: string, prefix: string | null, limit: number | null, cursor: string | null): Promise<KvListResult> {
    return guarded(async () => {
      const store = namespace(ctx, ns);
      const options = checkListOptions(prefix, limit, cursor);
      return store.list(ns, options);
    });
  },
};
