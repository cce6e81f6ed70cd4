import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startWorker } from '../helpers/worker.ts';
import { DEFAULT_LIMITS, WorkerIsolate, type WorkerDefinition } from '../../src/runtime/worker-isolate.ts';
import { invokeHttp } from '../../src/runtime/http.ts';
import { outboundFetch } from '../../src/runtime/outbound.ts';
import { UserError } from '../../src/runtime/errors.ts';
import type { ModuleSource } from '../../src/runtime/modules.ts';
import type { HostServices } from '../../src/runtime/ops/index.ts';

const services: HostServices = {
  fetch: (_ctx, init, body, signal) => outboundFetch(init, body, signal),
  log: () => {},
};

function def(code: string, extra: ModuleSource[] = []): WorkerDefinition {
  return {
    name: 'handlers', versionId: 'v1', format: /\bexport\b/.test(code) ? 'modules' : 'service-worker', mainModule: 'index.js',
    modules: [{ name: 'index.js', type: 'esm', content: code }, ...extra], bindings: [],
    compatibilityDate: '2025-01-01', compatibilityFlags: [], limits: { ...DEFAULT_LIMITS, cpuMs: 1000 }, dev: true,
  };
}

async function startupError(d: WorkerDefinition): Promise<UserError> {
  const err = await WorkerIsolate.create(d, services).then((w) => { w.dispose(); return null; }, (e: unknown) => e);
  assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
  return err;
}

test('Handlers: startup: a syntax error names the file, line and column', async () => {
  const err = await startupError(def('export default {\n  fetch() {\n    return new Response(;\n  }\n};'));
  assert.equal(err.code, 'syntax_error');
  assert.match(err.message, /^index\.js: .*Unexpected token.*\[file:\/\/\/index\.js:3:/);
});

test('Handlers: startup: a syntax error in an imported module names that module', async () => {
  const err = await startupError(def(`import x from './lib/util.js';\nexport default { fetch() { return new Response(x); } };`, [
    { name: 'lib/util.js', type: 'esm', content: 'export default 1 +;' },
  ]));
  assert.equal(err.code, 'syntax_error');
  assert.match(err.message, /^lib\/util\.js: .*\[file:\/\/\/lib\/util\.js:1:/);
});

test('Handlers: startup: a service-worker script with a syntax error is reported the same way', async () => {
  const err = await startupError(def(`addEventListener('fetch', (e) => {\n  e.respondWith(new Response('x');\n});`));
  assert.equal(err.code, 'syntax_error');
  assert.match(err.message, /^index\.js: missing \) after argument list \[file:\/\/\/index\.js:2:33\]$/);
});

test('Handlers: startup: a top level that throws reports the error with its source position', async () => {
  const err = await startupError(def(`const config = null;\nconst port = config.port;\nexport default {};`));
  assert.equal(err.code, 'startup_error');
  assert.match(err.message, /TypeError: Cannot read properties of null \(reading 'port'\)/);
  assert.match(err.message, /file:\/\/\/index\.js:2:/);
});

test('Handlers: startup: a main module without a default export is refused with a hint', async () => {
  const err = await startupError(def(`export const fetch = () => new Response('x');`));
  assert.match(err.message, /The main module has no default export/);
});

test('Handlers: fetch: a default export without fetch() gives a 500 that says so', async () => {
  const w = await startWorker(`export default { scheduled() {} };`);
  try {
    const res = await w.fetch('/');
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('atoll-error'), 'exception');
    assert.match(await res.text(), /Handler does not export a fetch\(\) function/);
  } finally {
    await w.close();
  }
});

test('Handlers: fetch: a service worker without a fetch listener gives a 500 that says so', async () => {
  const w = await startWorker(`addEventListener('scheduled', () => {});`, { format: 'service-worker' });
  try {
    const res = await w.fetch('/');
    assert.equal(res.status, 500);
    assert.match(await res.text(), /No fetch event listener called respondWith\(\)/);
  } finally {
    await w.close();
  }
});

test('Handlers: fetch: returning something that is not a Response is a 500 with the reason', async () => {
  const w = await startWorker(`export default { async fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === '/string') return 'hello';
    if (path === '/undefined') return;
    return { status: 200, body: 'lookalike' };
  } };`);
  try {
    for (const path of ['/string', '/undefined', '/object']) {
      const res = await w.fetch(path);
      assert.equal(res.status, 500, path);
      assert.match(await res.text(), /Incorrect type for Promise: the Promise did not resolve to 'Response'/);
    }
    assert.equal(w.worker().dead, null, 'the isolate is kept');
  } finally {
    await w.close();
  }
});

test('Handlers: fetch: a thrown error is a 500 with its message and a stack in the tenant\'s own files', async () => {
  const w = await startWorker(`export default {
  fetch(request) {
    throw new Error('boom at ' + new URL(request.url).pathname);
  },
};`);
  try {
    const res = await w.fetch('/here');
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('atoll-error'), 'exception');
    const body = await res.text();
    assert.match(body, /Error: boom at \/here/);
    assert.match(body, /at Object\.fetch \(file:\/\/\/index\.js:3:11\)/, 'dev shows the stack with source positions');
    const [inv] = await w.settled(1);
    assert.equal(inv.outcome, 'exception');
    assert.match(inv.exceptions[0].stack ?? '', /file:\/\/\/index\.js:3:11/);
  } finally {
    await w.close();
  }
});

test('Handlers: fetch: a thrown non-Error value is reported readably', async () => {
  const w = await startWorker(`export default { fetch() { throw { code: 42 }; } };`);
  try {
    const res = await w.fetch('/');
    assert.equal(res.status, 500);
    assert.match(await res.text(), /Uncaught \[object Object\]/);
  } finally {
    await w.close();
  }
});

test('Handlers: respondWith: a second call throws InvalidStateError and the first response wins', async () => {
  const w = await startWorker(`addEventListener('fetch', (event) => {
    event.respondWith(new Response('first'));
    try { event.respondWith(new Response('second')); } catch (e) { console.log(e.name + ': ' + e.message); }
  });`);
  try {
    assert.equal(await (await w.fetch('/')).text(), 'first');
    assert.deepEqual(w.logs, ["log: InvalidStateError: Failed to execute 'respondWith' on 'FetchEvent': respondWith() was already called."]);
  } finally {
    await w.close();
  }
});

test('Handlers: respondWith: a call after the listener returned throws InvalidStateError', async () => {
  const w = await startWorker(`addEventListener('fetch', (event) => {
    event.waitUntil(new Promise((resolve) => setTimeout(() => {
      try { event.respondWith(new Response('late')); } catch (e) { console.log(e.name + ': ' + e.message); }
      resolve();
    }, 5)));
  });`);
  try {
    const res = await w.fetch('/');
    assert.equal(res.status, 500);
    assert.match(await res.text(), /No fetch event listener called respondWith\(\)/);
    await w.settled(1);
    assert.deepEqual(w.logs, ["log: InvalidStateError: Failed to execute 'respondWith' on 'FetchEvent': respondWith() must be called synchronously, while the fetch event is dispatched."]);
  } finally {
    await w.close();
  }
});

test('Handlers: waitUntil: a rejected promise is logged with its stack, the response is unaffected', async () => {
  const w = await startWorker(`export default { fetch(request, env, ctx) {
    ctx.waitUntil((async () => {
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('background failed');
    })());
    return new Response('sent');
  } };`);
  try {
    assert.equal(await (await w.fetch('/')).text(), 'sent');
    await w.settled(1);
    assert.equal(w.logs.length, 1);
    assert.match(w.logs[0], /^error: Uncaught Error: background failed\n\s+at file:\/\/\/index\.js:4:13/);
  } finally {
    await w.close();
  }
});

test('Handlers: timers: an exception in a timer callback is logged and the worker keeps serving', async () => {
  const w = await startWorker(`export default { async fetch() {
    setTimeout(() => { null.x; }, 1);
    await new Promise((r) => setTimeout(r, 20));
    return new Response('still here');
  } };`);
  try {
    assert.equal(await (await w.fetch('/')).text(), 'still here');
    assert.equal(w.logs.length, 1);
    assert.match(w.logs[0], /^error: Uncaught TypeError: Cannot read properties of null \(reading 'x'\)\n\s+at file:\/\/\/index\.js:2:29/);
  } finally {
    await w.close();
  }
});

test('Handlers: promises: a rejection nobody handles is logged and the request goes on', async () => {
  const w = await startWorker(`export default { async fetch() {
    Promise.reject(new Error('nobody listens'));
    await new Promise((r) => setTimeout(r, 5));
    Promise.reject(42);
    return new Response('ok');
  } };`);
  try {
    const res = await w.fetch('/');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok');
    await w.settled(1);
    assert.equal(w.logs.length, 2);
    assert.match(w.logs[0], /^error: Uncaught \(in promise\) Error: nobody listens\n\s+at Object\.fetch \(file:\/\/\/index\.js:2:20\)/);
    assert.equal(w.logs[1], 'error: Uncaught (in promise) 42');
    assert.ok(!w.logs.join('').includes('worker-isolate'), 'no host frames in the tenant log');
    assert.equal(w.worker().dead, null);
  } finally {
    await w.close();
  }
});

// passThroughOnException needs an origin: this serves the worker with invokeHttp and a
// passThrough that forwards to a real origin server, as `atoll dev --origin` does.
async function withOrigin(code: string, fn: (url: string) => Promise<void>): Promise<void> {
  const origin: Server = createServer((req, res) => res.end(`origin saw ${req.method} ${req.url}`));
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  const worker = await WorkerIsolate.create(def(code), services);
  const passThrough = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const answer = await fetch(originUrl + req.url, { method: req.method });
    res.writeHead(answer.status, { 'x-passed-through': '1' });
    res.end(await answer.text());
  };
  const front: Server = createServer((req, res) => {
    void invokeHttp(worker, req, res, { url: `http://localhost${req.url}`, cf: {}, maxBodyBytes: 1024, exposeErrors: true, passThrough });
  });
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  try {
    await fn(`http://127.0.0.1:${(front.address() as AddressInfo).port}`);
  } finally {
    front.closeAllConnections();
    await new Promise<void>((r) => front.close(() => r()));
    await new Promise<void>((r) => origin.close(() => r()));
    worker.dispose();
  }
}

test('Handlers: passThroughOnException: an exception after the call forwards the request to the origin', async () => {
  await withOrigin(`export default { async fetch(request, env, ctx) {
    ctx.passThroughOnException();
    if (new URL(request.url).pathname === '/fail') throw new Error('broken');
    return new Response('worker');
  } };`, async (url) => {
    assert.equal(await (await fetch(url + '/ok')).text(), 'worker');
    const res = await fetch(url + '/fail?q=1');
    assert.equal(res.headers.get('x-passed-through'), '1');
    assert.equal(await res.text(), 'origin saw GET /fail?q=1');
  });
});

test('Handlers: passThroughOnException: works from a service worker\'s event too', async () => {
  await withOrigin(`addEventListener('fetch', (event) => {
    event.passThroughOnException();
    event.respondWith(Promise.reject(new Error('broken')));
  });`, async (url) => {
    assert.equal(await (await fetch(url + '/sw')).text(), 'origin saw GET /sw');
  });
});

test('Handlers: passThroughOnException: without the call, an exception is a 500, not a forward', async () => {
  await withOrigin(`export default { fetch() { throw new Error('broken'); } };`, async (url) => {
    const res = await fetch(url + '/x');
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('x-passed-through'), null);
  });
});
