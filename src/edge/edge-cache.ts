// A location's cache: one store (src/cache/store.ts: memory, plus disk under the
// location's data folder when it has one) behind the HTTP cache in front of zone
// origins and behind every worker's Cache API, each account in its own namespace.
//
// `purge(spec)` is the single entry point for purges at this location: the REST API
// calls it in `atoll up`, and a cluster delivers each purge to every location by
// calling it there.

import { CacheApiBackend } from '../cache/cache-api.ts';
import { UserError } from '../runtime/errors.ts';
import { HttpCache } from '../cache/http-cache.ts';
import type { PurgeSpec } from '../cache/purge.ts';
import { CacheStore, type CacheStoreOptions } from '../cache/store.ts';

export type EdgeCacheOptions = Pick<CacheStoreOptions, 'dir' | 'maxMemoryBytes' | 'maxDiskBytes' | 'maxEntryBytes' | 'clock'>;

export interface EdgeCache {
  store: CacheStore;
  http: HttpCache;
  /** The Cache API backend for one account's workers. */
  api(accountId: string): CacheApiBackend;
  /** Removes what the spec names from this location; resolves with the entries removed. */
  purge(spec: PurgeSpec): Promise<number>;
  /** Waits for disk writes in flight (close, tests). */
  flush(): Promise<void>;
}

export async function openEdgeCache(options: EdgeCacheOptions, log: (fields: Record<string, unknown>) => void): Promise<EdgeCache> {
  let store: CacheStore;
  try {
    store = await CacheStore.open({ ...options, log });
  } catch (err) {
    if (err instanceof RangeError) throw new UserError(err.message, 'cache_size');
    const e = err as NodeJS.ErrnoException;
    throw new UserError(`edge: cannot use ${options.dir} for the cache: ${e.code ?? e.message}; check the folder's permissions or pick another data folder`, 'cache_dir');
  }
  const http = new HttpCache(store, log);
  return {
    store, http,
    api: (accountId) => new CacheApiBackend(store, accountId),
    async purge(spec) {
      const n = store.purge(spec);
      log({ level: 'info', msg: 'cache purged', account: spec.accountId, zone: spec.zone, entries: n, ...('everything' in spec ? { everything: true } : 'urls' in spec ? { urls: spec.urls.length } : 'prefixes' in spec ? { prefixes: spec.prefixes } : { tags: spec.tags }) });
      return n;
    },
    flush: () => store.flush(),
  };
}
