// Response inside a real isolate: https://fetch.spec.whatwg.org/#response-class

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate as run } from '../helpers/worker.ts';

// A fresh isolate compiles the prelude paths it first uses; on a loaded machine that can
// pass the default 50 ms of CPU, which these tests are not about.
const runInIsolate = (body: string): Promise<any> => run(body, { limits: { cpuMs: 1000 } });

test('Response: constructor: defaults for every member', async () => {
  const v = await runInIsolate(`
    const r = new Response();
    return { status: r.status, ok: r.ok, statusText: r.statusText, type: r.type, url: r.url, redirected: r.redirected, headers: [...r.headers],
      body: r.body, bodyUsed: r.bodyUsed, webSocket: r.webSocket, encodeBody: r.encodeBody, tag: Object.prototype.toString.call(r) };
  `);
  assert.deepEqual(v, { status: 200, ok: true, statusText: '', type: 'default', url: '', redirected: false, headers: [], body: null, bodyUsed: false,
    webSocket: null, encodeBody: 'automatic', tag: '[object Response]' });
});

test('Response: constructor: status, statusText, headers, and the Workers members webSocket and encodeBody', async () => {
  const v = await runInIsolate(`
    const r = new Response('gone', { status: 410, statusText: 'Gone Away', headers: { 'x-a': '1' }, encodeBody: 'manual', webSocket: null });
    return [r.status, r.ok, r.statusText, r.headers.get('x-a'), r.headers.get('content-type'), r.encodeBody, await r.text()];
  `);
  assert.deepEqual(v, [410, false, 'Gone Away', '1', 'text/plain;charset=UTF-8', 'manual', 'gone']);
});

test('Response: status: converted as a WebIDL unsigned short (truncated, modulo 65536)', async () => {
  const v = await runInIsolate(`return [new Response(null, { status: '404' }).status, new Response(null, { status: 200.9 }).status, new Response(null, { status: 65536 + 201 }).status];`);
  assert.deepEqual(v, [404, 200, 201]);
});

test('Response: bad input: out-of-range statuses, bad statusText, bodies on null-body statuses and bad encodeBody throw', async () => {
  const v = await runInIsolate(`
    const attempt = (fn) => { try { fn(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } };
    return [
      attempt(() => new Response(null, { status: 199 })),
      attempt(() => new Response(null, { status: 600 })),
      attempt(() => new Response(null, { status: NaN })),
      attempt(() => new Response(null, { status: 101 })),
      attempt(() => new Response(null, { statusText: 'bad\\nline' })),
      attempt(() => new Response('', { status: 204 })),
      attempt(() => new Response('x', { status: 304 })),
      attempt(() => new Response('x', { encodeBody: 'gzip' })),
      attempt(() => new Response('x', 5)),
      attempt(() => Response.prototype.clone.call({})),
    ];
  `);
  assert.deepEqual(v, [
    "RangeError: Failed to construct 'Response': The status provided (199) is outside the range [200, 599].",
    "RangeError: Failed to construct 'Response': The status provided (600) is outside the range [200, 599].",
    "RangeError: Failed to construct 'Response': The status provided (0) is outside the range [200, 599].",
    "RangeError: Failed to construct 'Response': The status provided (101) is outside the range [200, 599].",
    "TypeError: Failed to construct 'Response': Invalid statusText.",
    "TypeError: Failed to construct 'Response': Response with null body status (204) cannot have body.",
    "TypeError: Failed to construct 'Response': Response with null body status (304) cannot have body.",
    `TypeError: Failed to construct 'Response': encodeBody must be "automatic" or "manual", not "gzip".`,
    "TypeError: Failed to construct 'Response': cannot convert init to a dictionary.",
    'TypeError: Illegal invocation',
  ]);
});

test('Response: json: serializes the data with a JSON content type, keeping init', async () => {
  const v = await runInIsolate(`
    const a = Response.json({ a: [1, 'two'] });
    const b = Response.json('x', { status: 201, headers: { 'content-type': 'application/vnd.api+json', 'x-a': '1' } });
    const attempt = (fn) => { try { fn(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } };
    return { a: [a.status, a.headers.get('content-type'), await a.text()], b: [b.status, b.headers.get('content-type'), b.headers.get('x-a'), await b.json()],
      undef: attempt(() => Response.json(undefined)), bigint: attempt(() => Response.json(1n)).split(':')[0] };
  `);
  assert.deepEqual(v, {
    a: [200, 'application/json', '{"a":[1,"two"]}'],
    b: [201, 'application/vnd.api+json', '1', 'x'],
    undef: "TypeError: Failed to execute 'json' on 'Response': The data is not JSON serializable.",
    bigint: 'TypeError',
  });
});

test('Response: redirect: Location is the parsed URL, 302 by default, headers immutable; bad URLs and statuses throw', async () => {
  const v = await runInIsolate(`
    const attempt = (fn) => { try { fn(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } };
    const a = Response.redirect('https://example.com/a/../b');
    const b = Response.redirect(new URL('https://example.com/x'), 308);
    return { a: [a.status, a.headers.get('location'), a.body], b: [b.status, b.headers.get('location')],
      statuses: [301, 302, 303, 307, 308].map((s) => Response.redirect('https://e.com/', s).status),
      badStatus: attempt(() => Response.redirect('https://e.com/', 200)), badUrl: attempt(() => Response.redirect('/relative')),
      immutable: attempt(() => a.headers.set('location', 'https://evil.example/')) };
  `);
  assert.deepEqual(v, {
    a: [302, 'https://example.com/b', null], b: [308, 'https://example.com/x'], statuses: [301, 302, 303, 307, 308],
    badStatus: "RangeError: Failed to execute 'redirect' on 'Response': Invalid status code 200",
    badUrl: `TypeError: Failed to execute 'redirect' on 'Response': Invalid URL "/relative".`,
    immutable: "TypeError: Failed to execute 'set' on 'Headers': Can't modify immutable headers.",
  });
});

test('Response: error: a network error response with status 0 and type "error"', async () => {
  const v = await runInIsolate(`const r = Response.error(); return [r.type, r.status, r.ok, r.statusText, r.body, [...r.headers]];`);
  assert.deepEqual(v, ['error', 0, false, '', null, []]);
});

test('Response: clone: tees the body, so both read it whole, and keeps every member', async () => {
  const v = await runInIsolate(`
    const enc = new TextEncoder();
    const r = new Response(new ReadableStream({ start(c) { c.enqueue(enc.encode('a')); c.enqueue(enc.encode('b')); c.close(); } }), { status: 203, statusText: 'Mine', headers: { 'x-a': '1' } });
    const c = r.clone();
    const attempt = (fn) => { try { fn(); return 'no error'; } catch (e) { return e.name; } };
    const texts = [await c.text(), await r.text()];
    c.headers.set('x-a', 'changed');
    return { texts, status: c.status, statusText: c.statusText, original: r.headers.get('x-a'), afterUse: attempt(() => r.clone()) };
  `);
  assert.deepEqual(v, { texts: ['ab', 'ab'], status: 203, statusText: 'Mine', original: '1', afterUse: 'TypeError' });
});

test('Response: clone: byte bodies are copied, so changing one side never shows on the other', async () => {
  const v = await runInIsolate(`
    const r = new Response(new Uint8Array([1, 2, 3]));
    const c = r.clone();
    const a = new Uint8Array(await r.arrayBuffer());
    a[0] = 99;
    return [...new Uint8Array(await c.arrayBuffer())];
  `);
  assert.deepEqual(v, [1, 2, 3]);
});
