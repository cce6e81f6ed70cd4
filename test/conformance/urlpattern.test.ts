// URLPattern inside a real isolate: routing as Workers code uses it, bad input, and a
// tenant that replaces the URL global. The WPT vectors are in urlpattern-wpt.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate, startWorker } from '../helpers/worker.ts';

test('URLPattern: exec: routes a request and returns its named groups', async () => {
  const w = await startWorker(`
    const route = new URLPattern({ pathname: '/users/:id(\\\\d+)/:tab?' });
    export default { fetch(req) {
      const m = route.exec(req.url);
      return Response.json(m && { id: m.pathname.groups.id, tab: m.pathname.groups.tab ?? null, test: route.test(req.url) });
    } }`);
  try {
    assert.deepEqual(await (await w.fetch('/users/42/posts')).json(), { id: '42', tab: 'posts', test: true });
    assert.deepEqual(await (await w.fetch('/users/42')).json(), { id: '42', tab: null, test: true });
    assert.equal(await (await w.fetch('/users/abc')).json(), null);
  } finally {
    await w.close();
  }
});

test('URLPattern: constructor: takes a pattern string with a base URL and exposes its components', async () => {
  const got = await runInIsolate(`
    const p = new URLPattern('/api/*', 'https://example.com');
    return [p.protocol, p.hostname, p.pathname, p.search, p.test('https://example.com/api/v1'), p.test('https://other.example/api/v1'),
      Object.prototype.hasOwnProperty.call(globalThis, 'URLPattern'), Object.getOwnPropertyDescriptor(globalThis, 'URLPattern').enumerable];
  `);
  assert.deepEqual(got, ['https', 'example.com', '/api/*', '*', true, false, true, false]);
});

test('URLPattern: constructor: throws a TypeError for an invalid pattern', async () => {
  const got = await runInIsolate<{ errors: string[]; execError: string | null }>(`
    const errors = [];
    for (const args of [[{ pathname: '(' }], ['/relative/without/base'], [{ pathname: '/:id(' }], [{ hostname: 'a/b' }]]) {
      try { new URLPattern(...args); errors.push('no error'); } catch (e) { errors.push(e.constructor.name + ': ' + e.message); }
    }
    let execError = null;
    try { new URLPattern({ pathname: '/x' }).exec('/not/absolute'); } catch (e) { execError = e.constructor.name; }
    return { errors, execError };
  `);
  assert.equal(got.errors.length, 4);
  for (const e of got.errors) assert.match(e, /^TypeError: /);
  // exec() on a relative URL string with no base is no match, not a crash.
  assert.equal(got.execError, null);
});

test('URLPattern: canonicalisation: keeps using the platform URL after tenant code replaces globalThis.URL', async () => {
  const got = await runInIsolate(`
    globalThis.URL = function () { throw new Error('tenant URL'); };
    const p = new URLPattern({ hostname: 'EXAMPLE.com', pathname: '/caf\\u00e9/:x' });
    const m = p.exec('https://example.com/caf%C3%A9/1');
    return [p.hostname, p.pathname, m && m.pathname.groups.x];
  `);
  assert.deepEqual(got, ['example.com', '/caf%C3%A9/:x', '1']);
});
