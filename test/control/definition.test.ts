// What the API stores runs: an uploaded version, turned into a WorkerDefinition by
// workerDefinition(), runs in a real isolate with its modules, vars, secrets and KV.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { workerDefinition } from '../../src/control/definition.ts';
import { pickVersion } from '../../src/control/deployments.ts';
import { invokeHttp } from '../../src/runtime/http.ts';
import type { HostServices } from '../../src/runtime/ops/index.ts';
import { outboundFetch } from '../../src/runtime/outbound.ts';
import { WorkerIsolate } from '../../src/runtime/worker-isolate.ts';
import { startHarness, uploadForm, type Harness } from './harness.ts';

let h: Harness;
before(async () => { h = await startHarness(); });
after(async () => { await h.close(); });

/** Serves one request with the version's definition; returns the response text. */
async function run(versionId: string, worker: string): Promise<string> {
  const accountId = (await h.call('GET', '/api/v1/whoami')).body.account.id;
  const version = (await h.store.getVersion(accountId, worker, versionId))!;
  const def = await workerDefinition(h.store, h.keyring, version);
  const services: HostServices = { fetch: (_c, init, body, signal) => outboundFetch(init, body, signal), log: () => {}, kv: h.kv };
  const isolate = await WorkerIsolate.create(def, services);
  const server = createServer((req, res) => {
    void invokeHttp(isolate, req, res, { url: `http://example.test${req.url}`, cf: {}, maxBodyBytes: 1024, exposeErrors: true });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { signal: AbortSignal.timeout(20_000) });
    return await res.text();
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    isolate.dispose();
  }
}

test('workerDefinition: an uploaded version runs with its modules, vars, secrets and KV namespace', async () => {
  const ns = (await h.call('POST', '/api/v1/kv/namespaces', { json: { title: 'runs' } })).body.namespace.id;
  await h.call('PUT', `/api/v1/kv/namespaces/${ns}/values/greeting`, { body: 'from kv' });
  await h.call('PUT', '/api/v1/workers/runner/secrets/TOKEN', { json: { value: 'from a secret' } });
  const form = uploadForm({
    main_module: 'index.js', compatibility_date: '2026-01-01',
    bindings: [{ type: 'plain_text', name: 'NAME', text: 'from a var' }, { type: 'kv_namespace', name: 'DATA', namespace_id: ns }, { type: 'json', name: 'CFG', json: { n: 3 } }],
  }, [
    { name: 'index.js', content: `import text from './words.txt';
      import bytes from './raw.bin';
      export default { async fetch(req, env) {
        return new Response([text, env.NAME, env.TOKEN, await env.DATA.get('greeting'), env.CFG.n, new Uint8Array(bytes)[1]].join('|'));
      } };` },
    { name: 'words.txt', content: 'from a text module', type: 'text/plain' },
    { name: 'raw.bin', content: new Uint8Array([9, 42]), type: 'application/octet-stream' },
  ]);
  const reply = await h.call('PUT', '/api/v1/workers/runner', { body: form });
  assert.equal(reply.status, 201, reply.text);
  assert.equal(await run(reply.body.version.id, 'runner'), 'from a text module|from a var|from a secret|from kv|3|42');
});

test('workerDefinition: the version pickVersion chooses from a split runs its own code', async () => {
  const up = async (text: string, deploy: boolean) => {
    const form = uploadForm({ main_module: 'index.js', compatibility_date: '2026-01-01' }, [{ name: 'index.js', content: `export default { fetch() { return new Response(${JSON.stringify(text)}); } };` }]);
    const reply = await h.call('PUT', `/api/v1/workers/split${deploy ? '' : '?deploy=false'}`, { body: form });
    assert.equal(reply.status, 201, reply.text);
    return reply.body.version.id as string;
  };
  const v1 = await up('one', true);
  const v2 = await up('two', false);
  await h.call('POST', '/api/v1/workers/split/deployments', { json: { versions: [{ version_id: v1, percentage: 50 }, { version_id: v2, percentage: 50 }] } });
  const accountId = (await h.call('GET', '/api/v1/whoami')).body.account.id;
  const current = (await h.store.getDeployment(accountId, 'split'))!;
  assert.equal(await run(pickVersion(current, 0.25), 'split'), 'one');
  assert.equal(await run(pickVersion(current, 0.75), 'split'), 'two');
  assert.notEqual(v1, v2);
});
