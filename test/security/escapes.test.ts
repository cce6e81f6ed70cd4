import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startWorker, runInIsolate } from '../helpers/worker.ts';

// Tenant code must reach nothing of the host: these tests collect every object the
// platform hands over and try each known way out of the isolate on all of them.

// Shared by the tests below: code that, given `roots` (name -> value), walks every object
// reachable from them (own properties, accessors, prototypes) and reports anything that
// could be a door to the host, plus what each `constructor.constructor` can evaluate.
const PROBE = String.raw`
  const HOST_PROBE = 'return [typeof process, typeof require, typeof Buffer, typeof module, typeof __filename, typeof globalThis.process].join()';
  const NOTHING = 'undefined,undefined,undefined,undefined,undefined,undefined';
  const realmFunctions = new Set([
    Function, (async () => {}).constructor, (function* () {}).constructor, (async function* () {}).constructor,
  ]);
  // V8's own anonymous natives: Function.prototype, %ThrowTypeError%, the stack accessor.
  const stackAccessor = Object.getOwnPropertyDescriptor(new Error(), 'stack') ?? {};
  const anonymousNatives = new Set([Function.prototype, Object.getOwnPropertyDescriptor(Function.prototype, 'caller')?.get, stackAccessor.get, stackAccessor.set]);
  const IVM_MEMBERS = ['applySync', 'applySyncPromise', 'derefInto', 'copySync', 'copyInto'];
  function probe(roots) {
    const seen = new Set();
    const queue = Object.entries(roots).map(([path, value]) => [path, value]);
    const problems = [];
    const constructors = new Set();
    while (queue.length > 0 && seen.size < 50000) {
      const [path, value] = queue.shift();
      if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) continue;
      seen.add(value);
      if (typeof value === 'function') {
        const src = Function.prototype.toString.call(value);
        if (/\[native code\]/.test(src) && value.name === '' && value.length === 0 && !anonymousNatives.has(value)) {
          problems.push(path + ': an anonymous native function (the shape of a host callback)');
        }
      }
      let ctor;
      try { ctor = value.constructor; } catch { ctor = undefined; }
      if (typeof ctor === 'function') {
        let fnCtor;
        try { fnCtor = ctor.constructor; } catch { fnCtor = undefined; }
        if (typeof fnCtor === 'function' && !realmFunctions.has(fnCtor)) problems.push(path + '.constructor.constructor is a foreign Function');
        if (typeof fnCtor === 'function') constructors.add(fnCtor);
      }
      for (const m of IVM_MEMBERS) {
        try { if (m in value && typeof value[m] === 'function') problems.push(path + ' has ' + m); } catch {}
      }
      queue.push([path + '.__proto__', Object.getPrototypeOf(value)]);
      for (const key of Reflect.ownKeys(value)) {
        const d = Reflect.getOwnPropertyDescriptor(value, key);
        const name = path + '.' + String(key);
        if (!d) continue;
        if ('value' in d) queue.push([name, d.value]);
        if (d.get) queue.push([name + '<get>', d.get]);
        if (d.set) queue.push([name + '<set>', d.set]);
      }
    }
    const evaluated = [...constructors].map((F) => { try { return F(HOST_PROBE).constructor === Function ? F(HOST_PROBE)() : String(F(HOST_PROBE)); } catch (e) { return e.name + ': ' + e.message; } });
    return { problems, objects: seen.size, evaluated: [...new Set(evaluated.map(String))] };
  }
`;

let origin: Server;
let originUrl = '';

test.before(async () => {
  origin = createServer((req, res) => { res.setHeader('x-origin', 'yes'); res.end('from origin'); });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
});
test.after(() => new Promise<void>((r) => origin.close(() => r())));

test('Security: globals: no host global exists and the boot door is gone', async () => {
  const out = await runInIsolate(`return {
    types: [typeof process, typeof require, typeof Buffer, typeof module, typeof exports, typeof global, typeof __filename, typeof setImmediate, typeof __atoll_boot].join(),
    atollNames: Reflect.ownKeys(globalThis).map(String).filter((k) => /atoll|ivm|isolated/i.test(k)),
    evaluated: Function('return typeof process')(),
    indirectEval: (0, eval)('typeof require'),
  };`);
  assert.deepEqual(out, {
    types: 'undefined,undefined,undefined,undefined,undefined,undefined,undefined,undefined,undefined',
    atollNames: [],
    evaluated: 'undefined',
    indirectEval: 'undefined',
  });
});

test('Security: constructors: nothing the platform hands a module worker leads out of the isolate', async () => {
  const w = await startWorker(`${PROBE}
    export default { async fetch(request, env, ctx) {
      const fetched = await fetch(${JSON.stringify('ORIGIN')}.replace('ORIGIN', env.ORIGIN));
      const errors = {};
      const grab = async (name, f) => { try { await f(); } catch (e) { errors[name] = e; } };
      await grab('status', () => new Response(null, { status: 1 }));
      await grab('header', () => new Headers().append('bad name', 'x'));
      await grab('url', () => fetch('not a url'));
      await grab('random', () => crypto.getRandomValues(new Uint8Array(70000)));
      await grab('digest', () => crypto.subtle.digest('NOPE', new Uint8Array(1)));
      await grab('timer', () => setTimeout('code as a string'));
      const key = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
      const reader = fetched.body.getReader();
      const roots = {
        request, headers: request.headers, body: request.body, signal: request.signal, cf: request.cf, env, ctx,
        fetched, fetchedHeaders: fetched.headers, reader, readResult: await reader.read(),
        crypto, subtle: crypto.subtle, key, console, caches, defaultCache: caches.default,
        errors, abort: new AbortController(), timer: setTimeout(() => {}, 1), encoder: new TextEncoder(),
        url: new URL('https://example.com/'), clone: structuredClone({ a: [1] }), globalThis,
      };
      return Response.json(probe(roots));
    } }`, {
    bindings: [{ type: 'plain_text', name: 'ORIGIN', text: originUrl }, { type: 'json', name: 'CONFIG', json: { nested: { list: [1, 2] } } }],
    limits: { cpuMs: 5000 }, // the walk visits thousands of objects
  });
  try {
    const res = await w.fetch('/', { method: 'POST', body: 'payload', headers: { 'x-test': '1' } });
    const out = await res.json() as { problems: string[]; objects: number; evaluated: string[] };
    assert.deepEqual(out.problems, []);
    assert.ok(out.objects > 500, `walked ${out.objects} objects`);
    assert.deepEqual(out.evaluated, ['undefined,undefined,undefined,undefined,undefined,undefined']);
  } finally {
    await w.close();
  }
});

test('Security: constructors: a service worker\'s event and bindings lead nowhere either', async () => {
  const w = await startWorker(`${PROBE}
    addEventListener('fetch', (event) => {
      event.respondWith(Response.json(probe({ event, request: event.request, binding: SECRET, self })));
    });`, { bindings: [{ type: 'secret_text', name: 'SECRET', text: 's3cret' }], limits: { cpuMs: 5000 } }); // the walk visits thousands of objects
  try {
    const out = await (await w.fetch('/')).json() as { problems: string[]; evaluated: string[] };
    assert.deepEqual(out.problems, []);
    assert.deepEqual(out.evaluated, ['undefined,undefined,undefined,undefined,undefined,undefined']);
  } finally {
    await w.close();
  }
});

test('Security: stack traces: Error.prepareStackTrace sees no platform function or receiver', async () => {
  const out = await runInIsolate(`
    const leaked = [];
    Error.prepareStackTrace = (error, frames) => {
      for (const f of frames) {
        const file = f.getFileName();
        if (file === 'file:///index.js') continue;
        if (f.getFunction() !== undefined) leaked.push('function from ' + file + ': ' + f.getFunctionName());
        if (f.getThis() !== undefined) leaked.push('receiver from ' + file + ': ' + f.getFunctionName());
      }
      return 'stack hidden';
    };
    const stacks = [];
    const tryIt = async (f) => { try { await f(); } catch (e) { stacks.push(e.stack); } };
    await tryIt(() => new Response(null, { status: 1 }));
    await tryIt(() => new Headers({ 'bad name': 'x' }));
    await tryIt(() => crypto.getRandomValues(new Uint8Array(70000)));
    await tryIt(() => crypto.subtle.digest('NOPE', new Uint8Array(1)));
    await tryIt(() => fetch('http://[bad'));
    await tryIt(() => new Request('https://x.test/', { body: 'b', method: 'GET' }));
    await tryIt(() => new Response(new ReadableStream({ pull() { throw new Error('pull'); } })).text());
    const captured = {};
    Error.captureStackTrace(captured);
    Error.prepareStackTrace = undefined;
    return { leaked, stacks: stacks.length, hidden: stacks.every((s) => s === 'stack hidden'), captured: typeof captured.stack };
  `);
  assert.deepEqual(out, { leaked: [], stacks: 7, hidden: true, captured: 'string' });
});

test('Security: Proxies and getters passed to platform APIs are used inside the isolate only', async () => {
  const w = await startWorker(`export default { async fetch() {
    const init = new Proxy({}, { get(t, k) { return k === 'status' ? 201 : undefined; } });
    const headers = new Proxy({ 'x-proxied': 'yes' }, {});
    const body = new Proxy({}, { get(t, k) { return k === Symbol.toPrimitive ? () => 'proxied body' : undefined; } });
    const res = new Response(body, init);
    res.headers.set('x-init', 'ok');
    for (const [k, v] of new Headers(headers)) res.headers.set(k, v);
    return res;
  } }`);
  try {
    const res = await w.fetch('/');
    assert.equal(res.status, 201, await res.clone().text());
    assert.equal(res.headers.get('x-proxied'), 'yes');
    assert.equal(await res.text(), 'proxied body');
  } finally {
    await w.close();
  }
});

test('Security: a Response subclass that lies in its getters does not change what is sent', async () => {
  const w = await startWorker(`class Liar extends Response {
      get status() { return 999; }
      get headers() { const h = new Headers(); h.set('x-lie', '1'); return h; }
      get body() { return null; }
    }
    export default { fetch() { return new Liar('truth', { status: 203, headers: { 'x-real': '1' } }); } }`);
  try {
    const res = await w.fetch('/');
    assert.equal(res.status, 203);
    assert.equal(res.headers.get('x-real'), '1');
    assert.equal(res.headers.get('x-lie'), null);
    assert.equal(await res.text(), 'truth');
  } finally {
    await w.close();
  }
});

test('Security: thenables returned from the fetch handler are resolved inside the isolate', async () => {
  const w = await startWorker(`export default { fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === '/ok') return { then(resolve) { resolve(new Response('from a thenable')); } };
    if (path === '/throws') return { then() { throw new Error('then threw'); } };
    return { then(resolve) { resolve({ status: 200, body: 'not a response' }); } };
  } }`);
  try {
    assert.equal(await (await w.fetch('/ok')).text(), 'from a thenable');
    const threw = await w.fetch('/throws');
    assert.equal(threw.status, 500);
    assert.match(await threw.text(), /then threw/);
    const wrong = await w.fetch('/wrong');
    assert.equal(wrong.status, 500);
    assert.match(await wrong.text(), /did not resolve to 'Response'/);
  } finally {
    await w.close();
  }
});

test('Security: patched built-ins and Symbol.species tricks do not subvert the platform', async () => {
  const w = await startWorker(`
    const calls = [];
    // V8 itself hands promise resolving functions (anonymous natives) to a patched \`then\`
    // whenever a promise is resolved with a promise; a prelude function must never get there.
    const note = (name, args) => { for (const a of args) if (typeof a === 'function' && !/note\\(|\\[native code\\]/.test(a.toString())) calls.push(name + ': ' + a.toString().slice(0, 80)); };
    for (const [proto, names] of [[Array.prototype, ['push', 'map', 'slice', 'join', 'forEach', 'filter', 'splice', 'concat', 'indexOf']], [Map.prototype, ['get', 'set', 'has', 'delete']], [WeakMap.prototype, ['get', 'set', 'has']], [Promise.prototype, ['then', 'catch', 'finally']]]) {
      for (const name of names) {
        const original = proto[name];
        proto[name] = function (...args) { note(name, args); return original.apply(this, args); };
      }
    }
    class EvilArray extends Array {}
    class EvilBuffer extends ArrayBuffer {}
    class EvilPromise extends Promise {}
    class EvilBytes extends Uint8Array {}
    Object.defineProperty(Array, Symbol.species, { get: () => EvilArray });
    Object.defineProperty(ArrayBuffer, Symbol.species, { get: () => EvilBuffer });
    Object.defineProperty(Promise, Symbol.species, { get: () => EvilPromise });
    Object.defineProperty(Uint8Array, Symbol.species, { get: () => EvilBytes });
    Object.defineProperty(Object.prototype, 'head', { set(v) { calls.push('head setter'); }, configurable: true });
    export default { async fetch(request, env, ctx) {
      const text = await request.text();
      ctx.waitUntil(Promise.resolve());
      const body = new TextEncoder().encode('echo:' + text);
      return new Response(body.subarray(0), { headers: { 'x-calls': String(calls.length), 'x-first': encodeURIComponent(calls.join(' | ')) } });
    } }`);
  try {
    const res = await w.fetch('/', { method: 'POST', body: 'hello' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'echo:hello');
    assert.equal(res.headers.get('x-calls'), '0', `patched built-ins received platform functions: ${decodeURIComponent(res.headers.get('x-first') ?? '')}`);
  } finally {
    await w.close();
  }
});

test('Security: globals: the table that carries binary modules in is gone once they are loaded', async () => {
  const w = await startWorker(`import bytes from './blob.bin';
    export default { fetch() { return Response.json([typeof globalThis.__atoll_module_bytes, new Uint8Array(bytes).join()]); } }`, {
    modules: [{ name: 'blob.bin', type: 'data', content: new Uint8Array([1, 2, 3]) }],
  });
  try {
    assert.deepEqual(await (await w.fetch('/')).json(), ['undefined', '1,2,3']);
  } finally {
    await w.close();
  }
});

test('Security: a response head forged through a patched WeakMap is refused by the host, which keeps serving', async () => {
  // The prelude keeps a Response's state in a WeakMap; a tenant that replaces
  // WeakMap.prototype.get can hand the host any head it likes. The respond op checks it.
  const w = await startWorker(`
    const get = WeakMap.prototype.get;
    let forged = null;
    WeakMap.prototype.get = function (key) {
      const value = get.call(this, key);
      return forged && value && typeof value === 'object' && 'statusText' in value ? { ...value, ...forged } : value;
    };
    export default { fetch(request) {
      const path = new URL(request.url).pathname;
      const response = new Response('body');
      forged = path === '/crlf' ? { statusText: 'OK\\r\\nX-Injected: 1' } : path === '/status' ? { status: 1e9 } : null;
      return response;
    } }`);
  try {
    for (const [path, reason] of [['/crlf', /its statusText is not a valid reason phrase/], ['/status', /its status 1000000000 is not a valid HTTP status/]] as const) {
      const res = await w.fetch(path);
      assert.equal(res.status, 500, path);
      assert.equal(res.headers.get('x-injected'), null);
      assert.match(await res.text(), reason);
    }
    const ok = await w.fetch('/');
    assert.equal(await ok.text(), 'body');
  } finally {
    await w.close();
  }
});
