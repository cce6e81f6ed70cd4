// Which KV namespace a `kv key` / `kv bulk` command acts on, and how: through the API
// (the default), or with --local on `atoll dev`'s SQLite store in .atoll/kv, checked
// against the same Workers KV limits the API applies.

import { join, resolve } from 'node:path';
import { loadConfig } from '../../../config/load.ts';
import { UserError } from '../../../runtime/errors.ts';
import type { KvStore } from '../../../store/kv.ts';
import { checkExpiration, checkKey, checkMetadata, checkValueLength, KvLimitError } from '../../../store/kv-limits.ts';
import { openSqliteKv } from '../../../store/sqlite-kv.ts';
import { ApiClient, seg } from '../../api-client.ts';
import type { OptionSpec } from '../../command.ts';

export const TARGET_OPTIONS: OptionSpec[] = [
  { flags: '--namespace-id <id>', help: 'the namespace (kvn_... from atoll kv namespace list; with --local, the id atoll dev uses)' },
  { flags: '--binding <name>', help: 'the namespace bound under this name in kv_namespaces of the config' },
  { flags: '--local', help: 'act on atoll dev\'s local store (.atoll/kv next to the config) instead of the platform' },
  { flags: '--persist-to <dir>', help: 'with --local: the folder atoll dev was given with --persist-to' },
  { flags: '-c, --config <file>', help: 'the config file that --binding is looked up in' },
  { flags: '-e, --env <name>', help: 'look --binding up in the config\'s [env.NAME] section' },
];

export interface PutOptions {
  expiration?: number;
  expirationTtl?: number;
  /** JSON text. */
  metadata?: string;
}

export interface Pair extends PutOptions {
  key: string;
  value: Uint8Array;
}

export interface Entry {
  value: Uint8Array;
  metadata: string | null;
  expiration: number | null;
}

export interface KeyInfo {
  name: string;
  expiration?: number;
  metadata?: unknown;
}

/** One namespace, local or on the platform. */
export interface KvTarget {
  /** How messages name it: `KV namespace kvn_...` or `local KV namespace NAME`. */
  label: string;
  put(pairs: Pair[]): Promise<void>;
  get(key: string): Promise<Entry | null>;
  list(prefix: string): Promise<KeyInfo[]>;
  delete(keys: string[]): Promise<void>;
  close(): Promise<void>;
}

function namespaceFor(o: Record<string, any>): { id: string; projectDir: string } {
  if (o.namespaceId !== undefined && o.binding !== undefined) throw new UserError('pass --namespace-id or --binding, not both', 'usage');
  const cwd = process.cwd();
  if (o.namespaceId !== undefined) {
    if (!o.local) return { id: o.namespaceId, projectDir: cwd };
    const config = loadConfig(cwd, o.config ?? null, o.env ?? null);
    return { id: o.namespaceId, projectDir: config.file === null ? cwd : config.dir };
  }
  if (o.binding === undefined) throw new UserError('no namespace named: pass --namespace-id ID or --binding NAME (a binding in kv_namespaces)', 'usage');
  const config = loadConfig(cwd, o.config ?? null, o.env ?? null);
  const where = config.file === null ? 'no wrangler.toml here' : `${config.file} has none`;
  const kv = config.kvNamespaces.find((k) => k.binding === o.binding);
  if (!kv) throw new UserError(`no KV binding "${o.binding}" (${where}): add it to kv_namespaces or pass --namespace-id`, 'usage');
  const projectDir = config.file === null ? cwd : config.dir;
  // atoll dev stores a binding under preview_id, else id, else its name; deploy binds id.
  if (o.local) return { id: kv.id, projectDir };
  const id = config.kvNamespaceIds[kv.binding];
  if (id === undefined) throw new UserError(`KV binding "${kv.binding}" has no "id" in the config: add the id from atoll kv namespace list, or pass --namespace-id`, 'usage');
  return { id, projectDir };
}

function remote(id: string): KvTarget {
  const api = ApiClient.fromLogin();
  const base = `/kv/namespaces/${seg(id)}`;
  return {
    label: `KV namespace ${id}`,
    async put(pairs) {
      if (pairs.length === 1) {
        const [p] = pairs;
        await api.call('PUT', `${base}/values/${seg(p.key)}`, {
          body: p.value as Uint8Array<ArrayBuffer>, query: { expiration: p.expiration, expiration_ttl: p.expirationTtl, metadata: p.metadata },
        });
        return;
      }
      await api.call('PUT', `${base}/bulk`, {
        json: pairs.map((p) => ({
          key: p.key, value: Buffer.from(p.value).toString('base64'), base64: true,
          ...(p.expiration !== undefined ? { expiration: p.expiration } : {}),
          ...(p.expirationTtl !== undefined ? { expiration_ttl: p.expirationTtl } : {}),
          ...(p.metadata !== undefined ? { metadata: JSON.parse(p.metadata) as unknown } : {}),
        })),
      });
    },
    async get(key) {
      let res: Response;
      try {
        res = await api.send('GET', `${base}/values/${seg(key)}`);
      } catch (err) {
        // A missing namespace is an error; a missing key is an answer.
        if ((err as { code?: string }).code === 'not_found' && (err as Error).message.startsWith('key ')) return null;
        throw err;
      }
      const expiration = res.headers.get('atoll-kv-expiration');
      return { value: new Uint8Array(await res.arrayBuffer()), metadata: res.headers.get('atoll-kv-metadata'), expiration: expiration === null ? null : Number(expiration) };
    },
    async list(prefix) {
      const keys: KeyInfo[] = [];
      let cursor: string | undefined;
      for (;;) {
        const page = await api.call('GET', `${base}/keys`, { query: { prefix: prefix || undefined, limit: 1000, cursor } });
        keys.push(...page.keys);
        if (page.list_complete) return keys;
        cursor = page.cursor;
      }
    },
    async delete(keys) {
      if (keys.length === 1) await api.call('DELETE', `${base}/values/${seg(keys[0])}`);
      else await api.call('POST', `${base}/bulk/delete`, { json: keys });
    },
    close: async () => {},
  };
}

function limited<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof KvLimitError) throw new UserError(err.message, 'kv_limit');
    throw err;
  }
}

function local(id: string, store: KvStore, dir: string): KvTarget {
  return {
    label: `local KV namespace "${id}" in ${dir}`,
    async put(pairs) {
      // Every pair is checked before any is written, as the API does.
      const now = Date.now();
      const writes = pairs.map((p) => limited(() => {
        checkKey('PUT', p.key);
        checkValueLength(p.value.byteLength);
        return { ...p, at: checkExpiration({ expiration: p.expiration, expirationTtl: p.expirationTtl }, now), meta: checkMetadata(p.metadata) };
      }));
      for (const w of writes) await store.put(id, w.key, w.value, { expiration: w.at, metadata: w.meta });
    },
    async get(key) {
      return store.get(id, limited(() => checkKey('GET', key)));
    },
    async list(prefix) {
      const keys: KeyInfo[] = [];
      let cursor: string | null = null;
      for (;;) {
        const page = await store.list(id, { prefix, limit: 1000, cursor });
        keys.push(...page.keys.map((k) => ({ name: k.name, ...(k.expiration !== undefined ? { expiration: k.expiration } : {}), ...(k.metadata !== undefined ? { metadata: JSON.parse(k.metadata) as unknown } : {}) })));
        if (page.list_complete) return keys;
        cursor = page.cursor!;
      }
    },
    async delete(keys) {
      for (const k of keys) limited(() => checkKey('DELETE', k));
      for (const k of keys) await store.delete(id, k);
    },
    close: () => store.close(),
  };
}

/** The namespace the options name; close it when done. */
export async function openTarget(o: Record<string, any>): Promise<KvTarget> {
  if (o.persistTo !== undefined && !o.local) throw new UserError('--persist-to goes with --local', 'usage');
  const { id, projectDir } = namespaceFor(o);
  if (!o.local) return remote(id);
  const dir = join(o.persistTo === undefined ? join(projectDir, '.atoll') : resolve(o.persistTo), 'kv');
  try {
    return local(id, await openSqliteKv(dir), dir);
  } catch (err) {
    throw new UserError(`cannot open the local KV store in ${dir}: ${(err as Error).message}`, 'kv_unavailable');
  }
}
