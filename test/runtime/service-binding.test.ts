// Service bindings in the runtime: a worker bound to itself (the host runs each call
// in-process on the same isolate, as an edge runs a call to another worker), so the
// Fetcher, the op's checks, the depth bound and error answers are tested in a real
// isolate without an edge around it.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { invokeInProcess } from '../../src/runtime/invoke.ts';
import { MAX_SERVICE_CALLS, MAX_SERVICE_DEPTH, serviceOps } from '../../src/runtime/ops/service.ts';
import type { HostServices, OpContext } from '../../src/runtime/ops/index.ts';
import { OpError } from '../../src/runtime/errors.ts';
import { startWorker, type TestWorker } from '../helpers/worker.ts';

const WORKER = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case '/echo': {
        const headers = {};
        for (const [k, v] of request.headers) if (k.startsWith('x-')) headers[k] = v;
        return new Response(JSON.stringify({ method: request.method, url: request.url, headers, body: await request.text() }), {
          status: 201, statusText: 'Made', headers: { 'x-from': 'echo', 'content-type': 'application/json' },
        });
      }
      case '/call': {
        const r = await env.SELF.fetch('http://svc.internal/echo?q=1', { method: 'POST', headers: { 'x-a': '1' }, body: 'hello' });
        return new Response(JSON.stringify({ status: r.status, statusText: r.statusText, from: r.headers.get('x-from'), echo: await r.json() }));
      }
      case '/forward':
        return env.SELF.fetch(new Request('http://svc.internal/echo', request));
      case '/upper': {
        // Reads its request body as a stream and answers with a stream, chunk by chunk.
        const { readable, writable } = new TransformStream({
          transform(chunk, c) { c.enqueue(new TextEncoder().encode(new TextDecoder().decode(chunk).toUpperCase())); },
        });
        request.body.pipeTo(writable);
        return new Response(readable, { headers: { 'x-from': 'upper' } });
      }
      case '/stream': {
        let i = 0;
        const body = new ReadableStream({
          pull(c) {
            if (i === 5) return c.close();
            c.enqueue(new TextEncoder().encode('chunk' + i++ + ';'));
          },
        });
        const r = await env.SELF.fetch('http://svc.internal/upper', { method: 'POST', body, duplex: 'half' });
        return new Response(r.body, { headers: { 'x-upstream': r.headers.get('x-from') } });
      }
      case '/loop':
        try {
          return await env.SELF.fetch('http://svc.internal/loop');
        } catch (e) {
          return new Response(e.name + ': ' + e.message, { status: 508 });
        }
      case '/throw':
        throw new Error('boom in the service');
      case '/call-throw': {
        const r = await env.SELF.fetch('http://svc.internal/throw');
        return new Response(r.status + ' ' + r.headers.get('atoll-error') + ' ' + (await r.text()).trim());
      }
      case '/bad': {
        const out = [];
        for (const f of [() => env.SELF.fetch(42), () => env.SELF.fetch('ftp://svc/'), () => env.SELF.fetch('/relative'), () => env.SELF.connect('svc:1')]) {
          try { await f(); out.push('no error'); } catch (e) { out.push(e.name + ': ' + e.message); }
        }
        try { new env.SELF.constructor(Symbol(), 'X'); out.push('constructed'); } catch (e) { out.push(e.name + ': ' + e.message); }
        return new Response(JSON.stringify(out));
      }
      case '/twice': {
        await env.SELF.fetch('http://svc.internal/echo');
        try {
          await env.SELF.fetch('http://svc.internal/echo');
          return new Response('no error');
        } catch (e) {
          return new Response(e.message, { status: 429 });
        }
      }
      case '/mirror':
        // The request body handed back whole: a host stream passed through, not copied.
        return new Response(request.body, { headers: { 'x-from': 'mirror' } });
      case '/call-mirror': {
        const r = await env.SELF.fetch('http://svc.internal/mirror', { method: 'POST', body: 'x'.repeat(100000) });
        const text = await r.text();
        return new Response(r.headers.get('x-from') + ' ' + text.length + ' ' + (text === 'x'.repeat(100000)));
      }
      case '/endless': {
        let n = 0;
        return new Response(new ReadableStream({
          async pull(c) { await new Promise((r) => setTimeout(r, 5)); c.enqueue(new TextEncoder().encode('tick' + n++ + ';')); },
          cancel(reason) { console.log('endless canceled after ' + n + ' chunks'); },
        }));
      }
      case '/abort': {
        const ac = new AbortController();
        const r = await env.SELF.fetch('http://svc.internal/endless', { signal: ac.signal });
        const reader = r.body.getReader();
        const first = new TextDecoder().decode((await reader.read()).value);
        ac.abort();
        try { await reader.read(); return new Response('still reading'); } catch (e) { return new Response(first + ' ' + e.name); }
      }
      case '/leaf':
        return new Response('leaf');
      case '/fan': {
        let ok = 0;
        for (let i = 0; i < 40; i++) {
          try {
            await (await env.SELF.fetch('http://svc.internal/leaf')).text();
            ok++;
          } catch (e) {
            return new Response(ok + ' ' + e.message);
          }
        }
        return new Response(ok + ' no error');
      }
      case '/tree': {
        const first = await (await env.SELF.fetch('http://svc.internal/fan')).text();
        try {
          await env.SELF.fetch('http://svc.internal/fan');
          return new Response(first + ' | no error');
        } catch (e) {
          return new Response(first + ' | ' + e.message);
        }
      }
      case '/unbound':
        return new Response(String(env.OTHER) + ' ' + Object.keys(env).join(','));
    }
    return new Response('not found', { status: 404 });
  },
};`;

/** The host side of a binding to itself: each call is an invocation on the same isolate. */
const selfService: HostServices['service'] = async (ctx, call) => invokeInProcess(ctx.worker, {
  method: call.init.method, url: call.init.url, headers: call.init.headers, body: call.body, cf: {}, signal: call.signal, depth: call.depth, tree: call.tree,
}, { exposeErrors: false }).response;

describe('Service bindings (runtime)', () => {
  let w: TestWorker;
  before(async () => {
    // A loaded test machine can make a cold isolate's first requests slow: only limit tests depend on the CPU limit.
    w = await startWorker(WORKER, { bindings: [{ type: 'service', name: 'SELF', service: 'test' }], services: { service: selfService }, limits: { cpuMs: 2000 } });
  });
  after(async () => { await w?.close(); });

  test('Fetcher: fetch: the bound worker sees the request sent and answers with its status, headers and body', async () => {
    const out = await (await w.fetch('/call')).json();
    assert.deepEqual(out, {
      status: 201, statusText: 'Made', from: 'echo',
      echo: { method: 'POST', url: 'http://svc.internal/echo?q=1', headers: { 'x-a': '1' }, body: 'hello' },
    });
  });

  test('Fetcher: fetch: a forwarded client request carries its body and headers through', async () => {
    const r = await w.fetch('/forward', { method: 'PUT', headers: { 'x-client': 'yes' }, body: 'client body' });
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('x-from'), 'echo');
    const echo = (await r.json()) as { method: string; headers: Record<string, string>; body: string };
    assert.equal(echo.method, 'PUT');
    assert.equal(echo.headers['x-client'], 'yes');
    assert.equal(echo.body, 'client body');
  });

  test('Fetcher: fetch: request and response bodies stream both ways', async () => {
    const r = await w.fetch('/stream');
    assert.equal(r.headers.get('x-upstream'), 'upper');
    assert.equal(await r.text(), 'CHUNK0;CHUNK1;CHUNK2;CHUNK3;CHUNK4;');
  });

  test('Fetcher: fetch: an exception in the bound worker comes back as a 500 response, not a failed fetch', async () => {
    const r = await w.fetch('/call-throw');
    assert.equal(r.status, 200);
    assert.match(await r.text(), /^500 exception The worker threw an exception\. \(atoll error: exception\)$/);
  });

  test(`Fetcher: fetch: a worker calling itself is stopped ${MAX_SERVICE_DEPTH} calls deep with a clear error`, async () => {
    const t0 = performance.now();
    const r = await w.fetch('/loop');
    assert.equal(r.status, 508);
    assert.match(await r.text(), new RegExp(`^Error: Service binding "SELF" \\(worker "test"\\): this request is already ${MAX_SERVICE_DEPTH} service calls deep, the limit`));
    assert.ok(performance.now() - t0 < 10_000);
  });

  test(`Fetcher: fetch: one request makes at most ${MAX_SERVICE_CALLS} service calls, counted across the workers it reaches`, async () => {
    const limit = `this request has made ${MAX_SERVICE_CALLS} service calls, counting those of every worker it reached, the limit.`;
    assert.equal(await (await w.fetch('/fan')).text(), `${MAX_SERVICE_CALLS} Service binding "SELF" (worker "test"): ${limit}`);
    // The call to /fan is the first of the tree: its leaves get the 31 left, the second /fan none.
    assert.equal(await (await w.fetch('/tree')).text(), `${MAX_SERVICE_CALLS - 1} Service binding "SELF" (worker "test"): ${limit} | Service binding "SELF" (worker "test"): ${limit}`);
  });

  test('Fetcher: fetch: bad input rejects with a TypeError; connect is a NotSupportedError; no constructor', async () => {
    const out = (await (await w.fetch('/bad')).json()) as string[];
    assert.match(out[0], /^TypeError: /);
    assert.match(out[1], /^TypeError: Failed to execute 'fetch' on 'Fetcher' \(binding "SELF"\): ftp:\/\/svc\/ is not an http: or https: URL\.$/);
    assert.match(out[2], /^TypeError: /);
    assert.match(out[3], /^NotSupportedError: Failed to execute 'connect' on 'Fetcher' \(binding "SELF"\): atoll does not support TCP sockets/);
    assert.equal(out[4], 'TypeError: Illegal constructor');
  });

  test('Fetcher: fetch: a body the bound worker hands back whole arrives intact', async () => {
    assert.equal(await (await w.fetch('/call-mirror')).text(), 'mirror 100000 true');
  });

  test("Fetcher: fetch: aborting the call cancels the bound worker's response stream", async () => {
    assert.equal(await (await w.fetch('/abort')).text(), 'tick0; AbortError');
    await (async () => {
      for (let i = 0; i < 200 && !w.logs.some((l) => /^log: endless canceled after \d+ chunks$/.test(l)); i++) await new Promise((r) => setTimeout(r, 10));
    })();
    assert.ok(w.logs.some((l) => /^log: endless canceled after \d+ chunks$/.test(l)), w.logs.join('\n'));
  });

  test('Fetcher: env: a worker gets only the service bindings it declares', async () => {
    assert.equal(await (await w.fetch('/unbound')).text(), 'undefined SELF');
  });
});

describe('Service bindings: service_fetch op', () => {
  let w: TestWorker;
  before(async () => {
    w = await startWorker(WORKER, {
      bindings: [{ type: 'service', name: 'SELF', service: 'test' }, { type: 'plain_text', name: 'TEXT', text: 'x' }],
      services: { service: selfService },
    });
  });
  after(async () => { await w?.close(); });

  const init = { method: 'GET', url: 'http://svc/', headers: [], body: null, redirect: 'follow', cf: null, cache: null, signal: null };
  const ctx = (): OpContext => ({ worker: w.worker(), inv: null, opId: 1, signal: new AbortController().signal });
  const refused = async (binding: unknown, raw: unknown, re: RegExp) => {
    await assert.rejects(serviceOps.service_fetch(ctx(), binding, raw), (err: unknown) => err instanceof OpError && err.type === 'TypeError' && re.test(err.message));
  };

  test('service_fetch op: refuses a binding name the worker does not have, or one that is not a service', async () => {
    await refused('OTHER', init, /^"OTHER" is not a service binding of this worker: a worker can call only the services its own bindings name\.$/);
    await refused('TEXT', init, /"TEXT" is not a service binding/);
    await refused('__proto__', init, /is not a service binding/);
    await refused(42, init, /binding name must be a string/);
    await refused({ toString: () => 'SELF' }, init, /binding name must be a string/);
  });

  test('service_fetch op: refuses a malformed request from the isolate', async () => {
    await refused('SELF', null, /invalid request from the isolate: not an object/);
    await refused('SELF', { ...init, headers: [['a', 'b\r\nx: y']] }, /the value of header a/);
    await refused('SELF', { ...init, url: 'svc/relative' }, /not an absolute http: or https: URL/);
    await refused('SELF', { ...init, url: 'file:///etc/passwd' }, /not an absolute http: or https: URL/);
  });

  test('service_fetch op: each call counts as a sub-request of the caller', async () => {
    const limited = await startWorker(WORKER, { bindings: [{ type: 'service', name: 'SELF', service: 'test' }], services: { service: selfService }, limits: { subrequests: 1 } });
    try {
      const r = await limited.fetch('/twice');
      assert.equal(r.status, 429);
      assert.match(await r.text(), /^Too many subrequests: this invocation may make at most 1 /);
    } finally {
      await limited.close();
    }
  });

  test('service_fetch op: a host without service bindings says so', async () => {
    const bare = await startWorker(WORKER, { bindings: [{ type: 'service', name: 'SELF', service: 'other' }] });
    try {
      const r = await bare.fetch('/loop');
      assert.equal(r.status, 508);
      assert.equal(await r.text(), 'Error: Service binding "SELF" (worker "other"): this host does not run service bindings.');
    } finally {
      await bare.close();
    }
  });
});
