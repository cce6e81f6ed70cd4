// The dashboard's draft endpoints over real HTTP, with real isolates: a preview runs
// the unsaved code once and answers with its response and console lines, without
// deploying; tenant code stays under its limits; bad drafts and requests are refused
// with clear errors. Also the version source and TypeScript compile endpoints.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertError, startHarness, upload, type Harness } from '../control/harness.ts';

const draft = (content: string, request: unknown = { method: 'GET', url: '/hello?x=1' }, extra: Record<string, unknown> = {}) => ({
  main_module: 'index.js', modules: [{ name: 'index.js', content }], request, ...extra,
});

describe('POST /api/v1/workers/:name/preview', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });

  test('runs the draft once: response, headers, body and console lines, nothing deployed', async () => {
    const code = `export default { async fetch(req, env) {
      console.log('got', req.method, new URL(req.url).pathname, req.headers.get('x-test'));
      console.warn('body', await req.text());
      return new Response('draft says ' + env.GREETING, { status: 201, headers: { 'x-draft': '1' } });
    } };`;
    const r = await h.call('POST', '/api/v1/workers/fresh/preview', {
      json: draft(code, { method: 'POST', url: '/hello', headers: { 'x-test': 'yes' }, body: 'payload' }, { bindings: [{ type: 'plain_text', name: 'GREETING', text: 'hi' }] }),
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.response.status, 201);
    assert.equal(r.body.response.body, 'draft says hi');
    assert.ok(r.body.response.headers.some(([k, v]: [string, string]) => k === 'x-draft' && v === '1'));
    assert.deepEqual(r.body.logs.map((l: { level: string; message: string }) => [l.level, l.message]), [['log', 'got POST /hello yes'], ['warn', 'body payload']]);
    assert.equal(r.body.outcome, 'ok');
    assert.equal(typeof r.body.cpu_ms, 'number');
    assertError(await h.call('GET', '/api/v1/workers/fresh'), 404, 'not_found');
  });

  test('an exception shows in the response and the exceptions; TypeScript modules run', async () => {
    const thrown = await h.call('POST', '/api/v1/workers/t/preview', { json: draft('export default { fetch() { throw new Error("kaboom") } };') });
    assert.equal(thrown.body.response.status, 500);
    assert.match(thrown.body.response.body, /kaboom/);
    assert.equal(thrown.body.outcome, 'exception');
    assert.match(thrown.body.exceptions[0].message, /kaboom/);
    const ts = await h.call('POST', '/api/v1/workers/t/preview', {
      json: { main_module: 'index.ts', modules: [
        { name: 'index.ts', content: 'import { twice } from "./lib.ts";\nexport default { fetch(_r: Request): Response { return new Response(String(twice(21))); } };' },
        { name: 'lib.ts', content: 'export const twice = (n: number): number => n * 2;' },
      ], request: { url: '/' } },
    });
    assert.equal(ts.status, 200, ts.text);
    assert.equal(ts.body.response.body, '42');
  });

  test('a service-worker script runs when the draft names it in body_part', async () => {
    const r = await h.call('POST', '/api/v1/workers/sw/preview', {
      json: { body_part: 'worker.js', modules: [{ name: 'worker.js', content: 'addEventListener("fetch", (e) => e.respondWith(new Response("from a service worker")));' }], request: { url: '/' } },
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.response.body, 'from a service worker');
  });

  test('a runaway loop is stopped at its CPU limit', async () => {
    const r = await h.call('POST', '/api/v1/workers/spin/preview', { json: draft('export default { fetch() { for (;;) {} } };', { url: '/' }, { limits: { cpu_ms: 20 } }) });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.outcome, 'exceededCpu');
    assert.equal(r.body.response.status, 503);
  });

  test('reads the worker\'s secrets and KV as the edge would', async () => {
    await upload(h, 'with-secret');
    assert.equal((await h.call('PUT', '/api/v1/workers/with-secret/secrets/API_KEY', { json: { value: 's3cret' } })).status, 200);
    const ns = await h.call('POST', '/api/v1/kv/namespaces', { json: { title: 'preview-kv' } });
    assert.equal((await h.call('PUT', `/api/v1/kv/namespaces/${ns.body.namespace.id}/values/k`, { body: 'from kv' })).status, 200);
    const r = await h.call('POST', '/api/v1/workers/with-secret/preview', {
      json: draft('export default { async fetch(r, env) { return new Response(env.API_KEY.length + " " + await env.KV.get("k")) } };', { url: '/' },
        { bindings: [{ type: 'kv_namespace', name: 'KV', namespace_id: ns.body.namespace.id }] }),
    });
    assert.equal(r.body.response.body, '6 from kv');
  });

  test('bad drafts and requests are refused with clear errors', async () => {
    const p = (body: unknown) => h.call('POST', '/api/v1/workers/bad/preview', { json: body });
    assertError(await p(draft('export default { fetch() { return new Response("x") ;; ) } };')), 400, 'syntax_error', 'index.js:1');
    assertError(await p({ main_module: 'index.js', request: {} }), 400, 'no_modules');
    assertError(await p({ main_module: 'index.js', modules: [{ name: 'index.js' }], request: {} }), 400, 'invalid_module');
    assertError(await p({ main_module: 'main.js', modules: [{ name: 'index.js', content: 'export default {}' }], request: {} }), 400, 'missing_main_module');
    assertError(await p({ ...draft('export default {}'), modules: [{ name: '../up.js', content: '' }] }), 400, 'invalid_module_name');
    assertError(await p(draft('import "./missing.js"; export default {}')), 400, 'unresolved_import');
    assertError(await p({ ...draft('export default {}'), main_module: 'index.ts', modules: [{ name: 'index.ts', content: 'let x: = 1;' }] }), 400, 'syntax_error', 'index.ts:1');
    assertError(await p(draft('export default {}', { method: 'GE T' })), 400, 'invalid_field', 'request.method');
    assertError(await p(draft('export default {}', { url: 'ftp://x/' })), 400, 'invalid_field', 'request.url');
    assertError(await p(draft('export default {}', { headers: [['bad header', 'v']] })), 400, 'invalid_field', 'header name');
    assertError(await p(draft('export default {}', { headers: { a: 'line\nbreak' } })), 400, 'invalid_field', 'line break');
    assertError(await p(draft('export default {}', { method: 'GET', body: 'x' })), 400, 'invalid_field', 'no body');
    assertError(await p(draft('export default {}', 'GET /')), 400, 'invalid_field', '"request"');
    assertError(await p(draft('export default {}', { url: '/' }, { bindings: [{ type: 'kv_namespace', name: 'KV', namespace_id: 'kvn_nope' }] })), 400, 'missing_binding');
    assertError(await p(draft('throw new Error("top level")', { url: '/' })), 400, 'worker_start_failed', 'top level');
    assertError(await h.call('POST', '/api/v1/workers/Bad Name/preview', { json: draft('export default {}') }), 400, 'invalid_worker_name');
  });

  test('at most 4 previews run at once; the fifth is told to retry', async () => {
    const slow = draft('export default { async fetch() { await new Promise((r) => setTimeout(r, 3000)); return new Response("slow"); } };', { url: '/' });
    const replies = await Promise.all(Array.from({ length: 5 }, () => h.call('POST', '/api/v1/workers/slow/preview', { json: slow })));
    assert.deepEqual(replies.map((r) => r.status).sort(), [200, 200, 200, 200, 429]);
    assertError(replies.find((r) => r.status === 429)!, 429, 'too_many_previews', 'try again');
    assert.equal((await h.call('POST', '/api/v1/workers/slow/preview', { json: draft('export default { fetch() { return new Response("ok") } };') })).body.response.body, 'ok');
  });

  test('needs workers:write', async () => {
    const ro = await h.call('POST', '/api/v1/tokens', { json: { name: 'ro', scopes: ['workers:read'] } });
    assertError(await h.call('POST', '/api/v1/workers/x/preview', { token: ro.body.token, json: draft('export default {}') }), 403, 'forbidden', 'workers:write');
  });
});

describe('version source and TypeScript compile', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });

  test('GET .../versions/:id/source answers the modules with their contents', async () => {
    const up = await upload(h, 'src-worker', { source: 'export default { fetch() { return new Response("v1") } };' });
    const r = await h.call('GET', `/api/v1/workers/src-worker/versions/${up.body.version.id}/source`);
    assert.equal(r.status, 200);
    assert.equal(r.body.main_module, 'index.js');
    assert.deepEqual(r.body.modules, [{ name: 'index.js', type: 'esm', content: 'export default { fetch() { return new Response("v1") } };' }]);
    assertError(await h.call('GET', '/api/v1/workers/src-worker/versions/ver_nope/source'), 404, 'not_found');
  });

  test('POST /api/v1/compile strips types and refuses what is not TypeScript', async () => {
    const r = await h.call('POST', '/api/v1/compile', { json: { modules: [{ name: 'a.ts', content: 'export const n: number = 1;' }] } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.modules[0].type, 'esm');
    assert.match(r.body.modules[0].content, /const n = 1;/);
    assert.doesNotMatch(r.body.modules[0].content, /: number/);
    assertError(await h.call('POST', '/api/v1/compile', { json: { modules: [{ name: 'a.js', content: '' }] } }), 400, 'invalid_module', 'not TypeScript');
    assertError(await h.call('POST', '/api/v1/compile', { json: { modules: 'a.ts' } }), 400, 'invalid_field');
    assertError(await h.call('POST', '/api/v1/compile', { json: { modules: [{ name: 'a.ts', content: 'let x: = 1' }] } }), 400, 'syntax_error', 'a.ts:1:');
  });
});
