// The Request a handler receives: the host parses the URL and the prelude takes it as it
// comes (WorkerIsolate.fetch, requestFromIncoming), and anything the host cannot vouch
// for goes through the full constructor. Either way the handler sees what the Fetch
// spec's Request would give it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, WorkerIsolate, type WorkerDefinition } from '../../src/runtime/worker-isolate.ts';
import type { IncomingRequest } from '../../src/shared/ops.ts';

const services = { log: () => {}, console: () => {}, fetch: () => Promise.reject(new Error('no fetch')) };

const def: WorkerDefinition = {
  name: 'incoming', versionId: 'v1', format: 'modules', mainModule: 'index.js',
  modules: [{
    name: 'index.js', type: 'esm', content: `export default { fetch(request) {
      const signal = request.signal;
      return Response.json({ url: request.url, method: request.method, host: request.headers.get('host'), aborted: signal.aborted,
        same: signal === request.signal, cloned: request.clone().url, cf: request.cf, immutable: (() => { try { request.headers.set('x', '1'); return false; } catch { return true; } })() });
    } };`,
  }],
  bindings: [], compatibilityDate: '2025-01-01', compatibilityFlags: [], limits: { ...DEFAULT_LIMITS }, dev: false,
};

async function send(w: WorkerIsolate, request: Partial<IncomingRequest>): Promise<{ status: number; body: unknown }> {
  const inv = w.fetch({ method: 'GET', url: 'http://test/', headers: [['host', 'test']], body: null, cf: { colo: 'T' }, ...request });
  const r = await inv.result;
  await w.end(inv);
  if (r.kind !== 'response') return { status: 500, body: r.error.message };
  assert.ok(r.head.body && 'bytes' in r.head.body);
  return { status: r.head.status, body: JSON.parse(new TextDecoder().decode(r.head.body.bytes)) };
}

test('incoming request: the URL arrives serialized, the method normalized, headers immutable, a signal that stays the same', async () => {
  const w = await WorkerIsolate.create(def, services);
  try {
    const r = await send(w, { url: 'HTTP://Example.COM:80/a/../b/%7e?q=1#frag', method: 'get' });
    assert.deepEqual(r.body, {
      url: 'http://example.com/b/%7e?q=1#frag', method: 'GET', host: 'test', aborted: false, same: true,
      cloned: 'http://example.com/b/%7e?q=1#frag', cf: { colo: 'T' }, immutable: true,
    });
    const patch = await send(w, { method: 'patch' });
    assert.equal((patch.body as { method: string }).method, 'PATCH');
    const custom = await send(w, { method: 'Purge' });
    assert.equal((custom.body as { method: string }).method, 'Purge', 'a method outside the normalized set keeps its case');
  } finally {
    w.dispose();
  }
});

test('incoming request: what the host cannot vouch for fails as the Request constructor says, and the isolate serves on', async () => {
  const w = await WorkerIsolate.create(def, services);
  try {
    const credentials = await send(w, { url: 'http://user:pw@example.com/' });
    assert.match(String(credentials.body), /URL that includes credentials/);
    const relative = await send(w, { url: '/relative' });
    assert.match(String(relative.body), /Invalid URL "\/relative"/);
    const badMethod = await send(w, { method: 'GE T' });
    assert.match(String(badMethod.body), /'GE T' is not a valid HTTP method/);
    const forbidden = await send(w, { method: 'TRACE' });
    assert.match(String(forbidden.body), /'TRACE' HTTP method is unsupported/);
    assert.equal((await send(w, {})).status, 200);
  } finally {
    w.dispose();
  }
});
