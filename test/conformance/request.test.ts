// Request inside a real isolate: https://fetch.spec.whatwg.org/#request-class

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate as run, startWorker } from '../helpers/worker.ts';

// A fresh isolate compiles the prelude paths it first uses; on a loaded machine that can
// pass the default 50 ms of CPU, which these tests are not about.
const runInIsolate = (body: string): Promise<any> => run(body, { limits: { cpuMs: 1000 } });

test('Request: constructor: defaults for every member', async () => {
  const v = await runInIsolate(`
    const r = new Request('https://example.com/a/../b?q#frag');
    return { method: r.method, url: r.url, headers: [...r.headers], redirect: r.redirect, body: r.body, bodyUsed: r.bodyUsed,
      aborted: r.signal.aborted, cf: r.cf === undefined, integrity: r.integrity, keepalive: r.keepalive, tag: Object.prototype.toString.call(r) };
  `);
  assert.deepEqual(v, { method: 'GET', url: 'https://example.com/b?q#frag', headers: [], redirect: 'follow', body: null, bodyUsed: false,
    aborted: false, cf: true, integrity: '', keepalive: false, tag: '[object Request]' });
});

test('Request: method: standard methods and PATCH are upper-cased (as on Workers), others kept as given', async () => {
  const v = await runInIsolate(`return ['get', 'post', 'Put', 'delete', 'options', 'head', 'patch', 'PROPFIND'].map((m) => new Request('http://x/', { method: m }).method);`);
  assert.deepEqual(v, ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'PROPFIND']);
});

test('Request: bad input: each invalid argument throws a TypeError naming the problem', async () => {
  const v = await runInIsolate(`
    const attempt = (fn) => { try { fn(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } };
    return [
      attempt(() => new Request()),
      attempt(() => new Request('/relative')),
      attempt(() => new Request('https://user:pw@example.com/')),
      attempt(() => new Request('http://x/', { method: 'bad method' })),
      attempt(() => new Request('http://x/', { method: 'CONNECT' })),
      attempt(() => new Request('http://x/', { body: 'x' })),
      attempt(() => new Request('http://x/', { method: 'HEAD', body: 'x' })),
      attempt(() => new Request('http://x/', { redirect: 'sideways' })),
      attempt(() => new Request('http://x/', { cache: 'sometimes' })),
      attempt(() => new Request('http://x/', { signal: {} })),
      attempt(() => new Request('http://x/', 5)),
    ];
  `);
  assert.deepEqual(v, [
    "TypeError: Failed to construct 'Request': 1 argument required, but only 0 present.",
    `TypeError: Failed to construct 'Request': Invalid URL "/relative": a Request needs an absolute URL.`,
    "TypeError: Failed to construct 'Request': Request cannot be constructed from a URL that includes credentials.",
    "TypeError: Failed to construct 'Request': 'bad method' is not a valid HTTP method.",
    "TypeError: Failed to construct 'Request': 'CONNECT' HTTP method is unsupported.",
    "TypeError: Failed to construct 'Request': Request with GET/HEAD method cannot have body.",
    "TypeError: Failed to construct 'Request': Request with GET/HEAD method cannot have body.",
    `TypeError: Failed to construct 'Request': Invalid redirect value "sideways".`,
    `TypeError: Failed to construct 'Request': Invalid cache mode "sometimes".`,
    "TypeError: Failed to construct 'Request': member signal is not of type AbortSignal.",
    "TypeError: Failed to construct 'Request': cannot convert init to a dictionary.",
  ]);
});

test('Request: from another Request: copies members, init overrides, and the body moves over', async () => {
  const v = await runInIsolate(`
    const a = new Request('http://x/p', { method: 'POST', body: 'payload', headers: { 'x-a': '1' }, redirect: 'manual', cf: { cacheTtl: 5 } });
    const b = new Request(a, { headers: { 'x-b': '2' } });
    let again;
    try { new Request(a); again = 'no error'; } catch (e) { again = e.message; }
    return { url: b.url, method: b.method, headers: [...b.headers], redirect: b.redirect, cf: b.cf, aUsed: a.bodyUsed, text: await b.text(), again,
      getFromBody: (() => { try { new Request(new Request('http://x/', { method: 'POST', body: 'x' }), { method: 'GET' }); return 'no error'; } catch (e) { return e.message; } })() };
  `);
  assert.deepEqual(v, {
    url: 'http://x/p', method: 'POST', headers: [['content-type', 'text/plain;charset=UTF-8'], ['x-b', '2']].slice(1), redirect: 'manual', cf: { cacheTtl: 5 },
    aUsed: true, text: 'payload', again: "Failed to construct 'Request': Cannot construct a Request with a Request object that has already been used.",
    getFromBody: "Failed to construct 'Request': Request with GET/HEAD method cannot have body.",
  });
});

test('Request: clone: both copies read the whole body; a used request cannot be cloned', async () => {
  const v = await runInIsolate(`
    const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('streamed')); c.close(); } });
    const a = new Request('http://x/', { method: 'PUT', body: stream, headers: { 'x-a': '1' }, cf: { k: 1 } });
    const b = a.clone();
    const texts = [await a.text(), await b.text()];
    let err;
    try { a.clone(); err = 'no error'; } catch (e) { err = e.name + ': ' + e.message; }
    return { texts, method: b.method, header: b.headers.get('x-a'), cf: b.cf, err };
  `);
  assert.deepEqual(v, { texts: ['streamed', 'streamed'], method: 'PUT', header: '1', cf: { k: 1 },
    err: "TypeError: Failed to execute 'clone': Body has already been used. It can only be used once. Use tee() first if you need to read it twice." });
});

test('Request: signal: follows the signal it was given', async () => {
  const v = await runInIsolate(`
    const ac = new AbortController();
    const r = new Request('http://x/', { signal: ac.signal });
    const before = r.signal.aborted;
    ac.abort('why');
    return [before, r.signal.aborted, r.signal.reason];
  `);
  assert.deepEqual(v, [false, true, 'why']);
});

test('Request: incoming: the handler gets the method, URL, headers, body and cf of the HTTP request', async () => {
  const w = await startWorker(`export default { async fetch(request) {
    return Response.json({ method: request.method, url: request.url, type: request.headers.get('content-type'), body: await request.text(),
      cf: request.cf, bodyUsed: request.bodyUsed });
  } }`);
  try {
    const res = await w.fetch('/path?x=1', { method: 'POST', body: 'sent', headers: { 'content-type': 'text/x-test' } });
    const v = await res.json();
    assert.deepEqual(v, { method: 'POST', url: `${w.url}/path?x=1`, type: 'text/x-test', body: 'sent', cf: { country: 'XX', colo: 'TEST' }, bodyUsed: true });
  } finally {
    await w.close();
  }
});
