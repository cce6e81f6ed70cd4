// Storage behind `atoll dev`'s bindings: KV in a SQLite file under the project's
// `.atoll/` folder (so data survives restarts, as wrangler's local mode keeps it), and
// the cache in memory: the same store an edge location uses (src/cache), without its
// disk tier, so restarting `atoll dev` starts with an empty cache and an edited origin
// is never hidden behind what an earlier session stored. It serves both the Cache API
// and fetches to --origin. KV is opened only once the config declares namespaces.

import { join, resolve } from 'node:path';
import { CacheApiBackend } from '../cache/cache-api.ts';
import { CacheStore } from '../cache/store.ts';
import { UserError } from '../runtime/errors.ts';
import type { KvStore } from '../store/kv.ts';
import { openSqliteKv } from '../store/sqlite-kv.ts';
import type { WorkerSettings } from './settings.ts';

/** The one namespace of `atoll dev`'s cache: it runs one worker of one account. */
export const DEV_NAMESPACE = 'dev';

export interface DevStores {
  kv: KvStore | undefined;
  cache: CacheApiBackend;
  /** Opens the KV store (for a config that gained kv_namespaces while running). */
  openKv(settings: WorkerSettings): Promise<KvStore>;
  close(): Promise<void>;
}

/** `persistTo` overrides the folder (default `<project>/.atoll`); KV lives in its `kv/`. */
export async function openStores(settings: WorkerSettings, persistTo: string | null): Promise<DevStores> {
  const stores: DevStores = {
    kv: undefined,
    cache: new CacheApiBackend(new CacheStore(), DEV_NAMESPACE),
    async openKv(s) {
      const dir = join(persistTo === null ? join(s.projectDir, '.atoll') : resolve(persistTo), 'kv');
      try {
        stores.kv ??= await openSqliteKv(dir);
      } catch (err) {
        throw new UserError(`atoll dev: cannot open the local KV store in ${dir}: ${(err as Error).message}. Pick another folder with --persist-to DIR.`, 'kv_unavailable');
      }
      return stores.kv;
    },
    close: async () => { await stores.kv?.close(); },
  };
  if (settings.kvNamespaces.length > 0) await stores.openKv(settings);
  return stores;
}
