// Headers inside a real isolate: https://fetch.spec.whatwg.org/#headers-class

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate as run, startWorker } from '../helpers/worker.ts';

// A fresh isolate compiles the prelude paths it first uses; on a loaded machine that can
// pass the default 50 ms of CPU, which these tests are not about.
const runInIsolate = (body: string): Promise<any> => run(body, { limits: { cpuMs: 1000 } });

test('Headers: constructor: takes a record, a sequence of pairs, another Headers and any iterable of pairs', async () => {
  const v = await runInIsolate(`
    const a = new Headers({ 'X-A': '1', b: 'two' });
    const b = new Headers([['x-a', '1'], ['b', 'two']]);
    const c = new Headers(a);
    const d = new Headers(new Map([['x-a', '1']]));
    function* gen() { yield new Set(['k', 'v']); }
    const e = new Headers(gen());
    return [[...a], [...b], [...c], [...d], [...e]];
  `);
  assert.deepEqual(v, [[['b', 'two'], ['x-a', '1']], [['b', 'two'], ['x-a', '1']], [['b', 'two'], ['x-a', '1']], [['x-a', '1']], [['k', 'v']]]);
});

test('Headers: bad input: invalid names, values and inits throw TypeErrors that say what is wrong', async () => {
  const v = await runInIsolate(`
    const attempt = (fn) => { try { fn(); return 'no error'; } catch (e) { return e.name + ': ' + e.message; } };
    return [
      attempt(() => new Headers(5)),
      attempt(() => new Headers([['a', 'b', 'c']])),
      attempt(() => new Headers([5])),
      attempt(() => new Headers({ [Symbol('s')]: 'x' })),
      attempt(() => new Headers().append('bad name', 'x')),
      attempt(() => new Headers().append('', 'x')),
      attempt(() => new Headers().set('x', 'a\\nb')),
      attempt(() => new Headers().set('x', 'a\\0b')),
      attempt(() => new Headers().set('x', 'snow \\u2603')),
      attempt(() => new Headers().get('bad:name')),
      attempt(() => new Headers().forEach(5)),
      attempt(() => Headers.prototype.get.call({}, 'a')),
    ];
  `);
  assert.deepEqual(v, [
    "TypeError: Failed to construct 'Headers': The provided value is not of type '(record<ByteString, ByteString> or sequence<sequence<ByteString>>)'.",
    "TypeError: Failed to construct 'Headers': Invalid value: each header must be a [name, value] pair.",
    "TypeError: Failed to construct 'Headers': The provided value cannot be converted to a sequence.",
    "TypeError: Failed to construct 'Headers': Header names must be strings.",
    "TypeError: Failed to execute 'append' on 'Headers': Invalid name",
    "TypeError: Failed to execute 'append' on 'Headers': Invalid name",
    "TypeError: Failed to execute 'set' on 'Headers': Invalid value",
    "TypeError: Failed to execute 'set' on 'Headers': Invalid value",
    "TypeError: Failed to execute 'set' on 'Headers': Invalid value",
    "TypeError: Failed to execute 'get' on 'Headers': Invalid name",
    "TypeError: Failed to execute 'forEach' on 'Headers': parameter 1 is not of type 'Function'.",
    'TypeError: Illegal invocation',
  ]);
});

test('Headers: values: are trimmed of HTTP whitespace, names are case-insensitive, get joins with ", "', async () => {
  const v = await runInIsolate(`
    const h = new Headers();
    h.append('Accept', ' \\ttext/html\\t ');
    h.append('ACCEPT', 'text/plain');
    return [h.get('accept'), h.has('AcCePt'), h.get('missing'), h.has('missing')];
  `);
  assert.deepEqual(v, ['text/html, text/plain', true, null, false]);
});

test('Headers: set and delete: set replaces every value with one, delete removes them all', async () => {
  const v = await runInIsolate(`
    const h = new Headers([['a', '1'], ['b', '2'], ['a', '3']]);
    h.set('A', '9');
    const afterSet = [...h];
    h.delete('a');
    return [afterSet, [...h]];
  `);
  assert.deepEqual(v, [[['a', '9'], ['b', '2']], [['b', '2']]]);
});

test('Headers: iteration: sorted by name, combined, with each Set-Cookie apart', async () => {
  const v = await runInIsolate(`
    const h = new Headers();
    h.append('Set-Cookie', 'z=1');
    h.append('b', '1');
    h.append('set-cookie', 'a=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT');
    h.append('a', 'x');
    h.append('b', '2');
    const seen = [];
    h.forEach(function (value, name, self) { seen.push([name, value, self === h, this.tag]); }, { tag: 't' });
    return { entries: [...h.entries()], keys: [...h.keys()], values: [...h.values()], seen,
      getSetCookie: h.getSetCookie(), getAll: h.getAll('Set-Cookie'), get: h.get('set-cookie'),
      sameIterator: Headers.prototype[Symbol.iterator] === Headers.prototype.entries, tag: Object.prototype.toString.call(h) };
  `);
  assert.deepEqual(v, {
    entries: [['a', 'x'], ['b', '1, 2'], ['set-cookie', 'z=1'], ['set-cookie', 'a=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT']],
    keys: ['a', 'b', 'set-cookie', 'set-cookie'],
    values: ['x', '1, 2', 'z=1', 'a=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT'],
    seen: [['a', 'x', true, 't'], ['b', '1, 2', true, 't'], ['set-cookie', 'z=1', true, 't'], ['set-cookie', 'a=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT', true, 't']],
    getSetCookie: ['z=1', 'a=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT'],
    getAll: ['z=1', 'a=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT'],
    get: 'z=1, a=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT',
    sameIterator: true,
    tag: '[object Headers]',
  });
});

test('Headers: getAll: only answers for Set-Cookie, as on Workers', async () => {
  const v = await runInIsolate(`try { new Headers().getAll('x-a'); return 'no error'; } catch (e) { return e.name + ': ' + e.message; }`);
  assert.equal(v, 'TypeError: getAll() can only be used with the header name "Set-Cookie".');
});

test('Headers: iteration: is live, so changes made while iterating are seen', async () => {
  const v = await runInIsolate(`
    const h = new Headers([['a', '1'], ['b', '2'], ['c', '3']]);
    const seen = [];
    for (const [name] of h) { seen.push(name); if (name === 'a') { h.delete('b'); h.append('d', '4'); } }
    return seen;
  `);
  assert.deepEqual(v, ['a', 'c', 'd']);
});

test('Headers: guards: incoming request headers, fetch-like redirects and errors are immutable', async () => {
  const w = await startWorker(`export default { async fetch(request) {
    const attempt = (fn) => { try { fn(); return 'changed'; } catch (e) { return e.name + ': ' + e.message; } };
    return Response.json([
      attempt(() => request.headers.set('x', '1')),
      attempt(() => request.headers.delete('host')),
      attempt(() => Response.redirect('https://example.com/').headers.append('x', '1')),
      attempt(() => Response.error().headers.set('x', '1')),
      attempt(() => new Request(request).headers.set('x', '1')),
      attempt(() => new Response('x').headers.set('x', '1')),
    ]);
  } }`);
  try {
    const immutable = "TypeError: Failed to execute 'set' on 'Headers': Can't modify immutable headers.";
    assert.deepEqual(await (await w.fetch('/')).json(), [
      immutable,
      "TypeError: Failed to execute 'delete' on 'Headers': Can't modify immutable headers.",
      "TypeError: Failed to execute 'append' on 'Headers': Can't modify immutable headers.",
      immutable,
      'changed',
      'changed',
    ]);
  } finally {
    await w.close();
  }
});

test('Headers: patched built-ins: tenant changes to Array.prototype do not change what Headers does', async () => {
  const v = await runInIsolate(`
    Array.prototype.push = function () { throw new Error('patched push'); };
    Array.prototype.sort = function () { return this.reverse(); };
    const h = new Headers([['b', '1'], ['a', '2']]);
    const out = [];
    for (const [n, v] of h) out[out.length] = n + '=' + v;
    return out.join(',');
  `);
  assert.equal(v, 'a=2,b=1');
});
