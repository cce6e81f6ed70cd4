// /api/v1/kv/namespaces: namespaces in the control store, their keys in the KvStore, with
// Workers KV's own limits and wording (src/store/kv-limits.ts).

import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { KvNamespace } from '../../store/control.ts';
import { KV_LIMITS } from '../../store/kv.ts';
import { checkExpiration, checkKey, checkListOptions, checkMetadata, checkValueLength, KvLimitError } from '../../store/kv-limits.ts';
import { ApiError, badRequest, conflict, notFound, tooLarge } from '../errors.ts';
import { newId } from '../ids.ts';
import { requireScope } from '../tokens.ts';
import { decodeSegment, optionalString, readJson } from './body.ts';
import { MiB, type ApiContext, type ApiDeps, type ApiEnv } from './context.ts';
import { namespaceJson } from './views.ts';

/** As Workers KV's bulk endpoints: 10,000 pairs and 100 MB a request. */
const BULK_MAX = 10_000;
const BULK_BYTES = 100 * MiB;

const kvError = (err: KvLimitError) => new ApiError(err.status, 'kv_limit', err.message);

function limited<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof KvLimitError) throw kvError(err);
    throw err;
  }
}

/** The key after `/values/` in the raw URL (keys may hold "/"), strictly decoded. */
function keyFromUrl(c: ApiContext, method: 'GET' | 'PUT' | 'DELETE'): string {
  const path = new URL(c.req.url).pathname;
  const raw = path.slice(path.indexOf('/values/') + '/values/'.length);
  const key = decodeSegment(raw, 'key name');
  return limited(() => checkKey(method, key));
}

function metadataText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return limited(() => checkMetadata(JSON.stringify(value)));
}

export function mountKv(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const { store, kv } = deps;
  const base = '/api/v1/kv/namespaces';

  const namespace = async (c: ApiContext): Promise<KvNamespace> => {
    const id = c.req.param('id') ?? '';
    const ns = await store.getKvNamespace(c.var.token.accountId, id);
    if (!ns) throw notFound(`KV namespace "${id.slice(0, 80)}"`, 'list namespaces with GET /api/v1/kv/namespaces');
    return ns;
  };

  app.get(base, async (c) => {
    requireScope(c.var.token, 'kv:read');
    return c.json({ namespaces: (await store.listKvNamespaces(c.var.token.accountId)).map(namespaceJson) });
  });

  app.post(base, async (c) => {
    requireScope(c.var.token, 'kv:write');
    const title = optionalString(await readJson(c), 'title', 512);
    if (!title) throw badRequest('invalid_field', '"title" is required, e.g. {"title":"sessions"}');
    const accountId = c.var.token.accountId;
    if ((await store.listKvNamespaces(accountId)).some((n) => n.title === title)) {
      throw conflict('namespace_exists', `this account already has a KV namespace titled "${title}"; pick another title or use that one`);
    }
    const ns: KvNamespace = { id: newId('kvn'), accountId, title, createdAt: deps.now() };
    await store.createKvNamespace(ns);
    deps.log({ level: 'info', msg: 'kv namespace created', account: accountId, namespace: ns.id });
    return c.json({ namespace: namespaceJson(ns) }, 201);
  });

  app.delete(`${base}/:id`, async (c) => {
    requireScope(c.var.token, 'kv:write');
    const ns = await namespace(c);
    for (const d of await store.listCurrentDeployments(ns.accountId)) {
      for (const split of d.versions) {
        const v = await store.getVersion(ns.accountId, d.worker, split.versionId);
        const b = v?.bindings.find((x) => x.type === 'kv_namespace' && x.namespace_id === ns.id);
        if (b) throw conflict('namespace_in_use', `KV namespace "${ns.title}" is bound as "${b.name}" by the deployed worker "${d.worker}"; deploy it without that binding first`);
      }
    }
    await store.deleteKvNamespace(ns.accountId, ns.id);
    // The keys go after the record: a crash between leaves unreachable keys, never a
    // namespace whose keys were half deleted.
    for (;;) {
      const page = await kv.list(ns.id, { limit: KV_LIMITS.listMax });
      for (const k of page.keys) await kv.delete(ns.id, k.name);
      if (page.list_complete) break;
    }
    deps.log({ level: 'info', msg: 'kv namespace deleted', account: ns.accountId, namespace: ns.id });
    return c.json({ deleted: ns.id });
  });

  app.get(`${base}/:id/keys`, async (c) => {
    requireScope(c.var.token, 'kv:read');
    const ns = await namespace(c);
    const q = c.req.query();
    const opts = limited(() => checkListOptions(q.prefix, q.limit, q.cursor));
    const page = await kv.list(ns.id, opts);
    const keys = page.keys.map((k) => ({
      name: k.name,
      ...(k.expiration !== undefined ? { expiration: k.expiration } : {}),
      ...(k.metadata !== undefined ? { metadata: JSON.parse(k.metadata) as unknown } : {}),
    }));
    return c.json({ keys, list_complete: page.list_complete, ...(page.cursor ? { cursor: page.cursor } : {}) });
  });

  app.get(`${base}/:id/values/:key{.+}`, async (c) => {
    requireScope(c.var.token, 'kv:read');
    const ns = await namespace(c);
    const key = keyFromUrl(c, 'GET');
    const entry = await kv.get(ns.id, key);
    if (!entry) throw notFound(`key "${key.slice(0, 200)}" in KV namespace "${ns.title}"`, 'list keys with GET .../keys');
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (entry.metadata !== null) headers['atoll-kv-metadata'] = entry.metadata;
    if (entry.expiration !== null) headers['atoll-kv-expiration'] = String(entry.expiration);
    // Engines return bytes on a plain ArrayBuffer (never shared memory).
    return c.body(entry.value as Uint8Array<ArrayBuffer>, 200, headers);
  });

  const valueLimit = bodyLimit({
    maxSize: KV_LIMITS.valueBytes,
    onError: () => { throw tooLarge(`KV PUT failed: 413 the value exceeds the limit of ${KV_LIMITS.valueBytes} bytes; store smaller values`); },
  });

  app.put(`${base}/:id/values/:key{.+}`, valueLimit, async (c) => {
    requireScope(c.var.token, 'kv:write');
    const ns = await namespace(c);
    const key = keyFromUrl(c, 'PUT');
    const q = c.req.query();
    const expiration = limited(() => checkExpiration({ expiration: q.expiration, expirationTtl: q.expiration_ttl }, deps.now()));
    let metadata: string | null = null;
    if (q.metadata !== undefined) metadata = limited(() => checkMetadata(q.metadata));
    const value = new Uint8Array(await c.req.arrayBuffer());
    limited(() => checkValueLength(value.byteLength));
    await kv.put(ns.id, key, value, { expiration, metadata });
    return c.json({ key });
  });

  app.delete(`${base}/:id/values/:key{.+}`, async (c) => {
    requireScope(c.var.token, 'kv:write');
    const ns = await namespace(c);
    const key = keyFromUrl(c, 'DELETE');
    await kv.delete(ns.id, key);
    return c.json({ deleted: key });
  });

  const bulkLimit = bodyLimit({
    maxSize: BULK_BYTES,
    onError: () => { throw tooLarge(`the bulk request is over ${BULK_BYTES} bytes; split it into several requests`); },
  });

  app.put(`${base}/:id/bulk`, bulkLimit, async (c) => {
    requireScope(c.var.token, 'kv:write');
    const ns = await namespace(c);
    const body = await readJson(c, 'array');
    if (body.length > BULK_MAX) throw badRequest('too_many_keys', `the bulk write has ${body.length} pairs; send at most ${BULK_MAX} a request`);
    const now = deps.now();
    // Every pair is checked before any is written, so a bad pair writes nothing.
    const writes = body.map((raw, i) => {
      const p = raw as Record<string, unknown> | null;
      if (typeof p !== 'object' || p === null) throw badRequest('invalid_field', `pair [${i}] must be an object {"key","value"}`);
      if (typeof p.value !== 'string') throw badRequest('invalid_field', `pair [${i}] "value" must be a string (set "base64": true for binary)`);
      const key = limited(() => checkKey('PUT', p.key));
      const value = p.base64 === true ? new Uint8Array(Buffer.from(p.value, 'base64')) : new TextEncoder().encode(p.value);
      limited(() => checkValueLength(value.byteLength));
      const expiration = limited(() => checkExpiration({ expiration: p.expiration, expirationTtl: p.expiration_ttl }, now));
      return { key, value, expiration, metadata: metadataText(p.metadata) };
    });
    await Promise.all(writes.map((w) => kv.put(ns.id, w.key, w.value, { expiration: w.expiration, metadata: w.metadata })));
    return c.json({ written: writes.length });
  });

  app.post(`${base}/:id/bulk/delete`, bulkLimit, async (c) => {
    requireScope(c.var.token, 'kv:write');
    const ns = await namespace(c);
    const body = await readJson(c, 'array');
    if (body.length > BULK_MAX) throw badRequest('too_many_keys', `the bulk delete has ${body.length} keys; send at most ${BULK_MAX} a request`);
    const keys = body.map((k) => limited(() => checkKey('DELETE', k)));
    await Promise.all(keys.map((k) => kv.delete(ns.id, k)));
    return c.json({ deleted: keys.length });
  });
}
