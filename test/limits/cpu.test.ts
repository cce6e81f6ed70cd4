import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from '../helpers/worker.ts';

// Every runaway shape the watchdog must stop: it measures CPU, so the bound is CPU time
// (limit + 10 ms), robust to a loaded machine; wall time only gets a generous ceiling.
const RUNAWAYS: Record<string, string> = {
  'a synchronous loop in the first turn': `for (;;) {}`,
  'a microtask loop': `const spin = () => Promise.resolve().then(spin); spin(); await new Promise(() => {});`,
  'a loop after an await': `await new Promise((r) => setTimeout(r, 5)); for (;;) {}`,
  'a setTimeout(0) chain that never ends': `const again = () => { for (let i = 0; i < 1e5; i++); setTimeout(again, 0); }; again(); await new Promise(() => {});`,
  'a loop inside a response body stream': `return new Response(new ReadableStream({ pull() { for (;;) {} } }));`,
  'a loop after await WebAssembly.compile()': `await WebAssembly.compile(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])); for (;;) {}`,
  'a regular expression that backtracks forever': `/(a+)+$/.test('a'.repeat(40) + 'b');`,
  'a builtin scanning a billion holes': `for (;;) new Array(1e9).includes(1);`,
  'a loop in waitUntil after the response': `ctx.waitUntil((async () => { await new Promise((r) => setTimeout(r, 20)); for (;;) {} })()); return new Response('sent');`,
};

for (const [shape, body] of Object.entries(RUNAWAYS)) {
  test(`Limits: cpu: ${shape} is stopped within the limit plus 10 ms and the isolate is replaced`, async () => {
    const w = await startWorker(`export default { async fetch(req, env, ctx) {
      if (new URL(req.url).pathname === '/ok') return new Response('fine');
      ${body}
    } }`, { limits: { cpuMs: 50 } });
    try {
      // Warm: the watchdog polls from the main thread, and the first fetch() of a test
      // process blocks it while undici loads (docs/limits.md, "Precision").
      assert.equal(await (await w.fetch('/ok')).text(), 'fine');
      const first = w.worker();
      const t0 = performance.now();
      const res = await w.fetch('/spin');
      const text = await res.text().catch(() => '');
      if (shape.includes('waitUntil')) {
        assert.equal(text, 'sent');
      } else {
        assert.equal(res.status, 503);
        assert.equal(res.headers.get('atoll-error'), 'exceededCpu');
        assert.match(text, /exceeded its CPU time limit/);
        assert.match(text, /Worker exceeded its CPU time limit of 50 ms and was stopped/);
      }
      const inv = (await w.settled(2, 10_000))[1];
      assert.equal(inv.outcome, 'exceededCpu');
      assert.ok(inv.cpuMs >= 50 && inv.cpuMs <= 60, `stopped at ${inv.cpuMs.toFixed(1)} ms of CPU`);
      assert.ok(performance.now() - t0 < 10_000);
      assert.equal(first.dead, 'exceededCpu');
      const next = await w.fetch('/ok');
      assert.equal(await next.text(), 'fine');
      assert.notEqual(w.worker(), first, 'a fresh isolate serves the next request');
    } finally {
      await w.close();
    }
  });
}

test('Limits: cpu: a runaway in one worker does not disturb another worker, and its own in-flight requests get 503 canceled', async () => {
  const a = await startWorker(`export default { async fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === '/spin') { await new Promise((r) => setTimeout(r, 30)); for (;;) {} }
    if (path === '/slow') await new Promise((r) => setTimeout(r, 400));
    return new Response('a ' + path);
  } }`, { limits: { cpuMs: 50 } });
  const b = await startWorker(`export default { async fetch(req) {
    await new Promise((r) => setTimeout(r, 10));
    let x = 0; for (let i = 0; i < 1e5; i++) x += i;
    return new Response('b ' + x);
  } }`, { limits: { cpuMs: 50 } });
  try {
    await (await a.fetch('/ok')).text();
    await (await b.fetch('/')).text();
    const slow = a.fetch('/slow');
    const spin = a.fetch('/spin');
    const others = Array.from({ length: 20 }, () => b.fetch('/').then(async (r) => [r.status, await r.text()]));
    const spun = await spin;
    assert.equal(spun.headers.get('atoll-error'), 'exceededCpu');
    const innocent = await slow;
    assert.equal(innocent.status, 503);
    assert.equal(innocent.headers.get('atoll-error'), 'canceled');
    assert.match(await innocent.text(), /another request in the same isolate exceeded a limit/);
    for (const [status, text] of await Promise.all(others)) {
      assert.equal(status, 200);
      assert.equal(text, 'b 4999950000');
    }
    assert.equal(b.worker().dead, null, 'the other worker kept its isolate');
    assert.equal(await (await a.fetch('/ok')).text(), 'a /ok');
  } finally {
    await a.close();
    await b.close();
  }
});

test('Limits: cpu: each request has its own budget: many requests each under the limit all succeed', async () => {
  // 10 requests of ~20 ms CPU each share an isolate: 200 ms in all, no single one over 50.
  const w = await startWorker(`export default { async fetch() {
    const end = Date.now() + 20; let n = 0; while (Date.now() < end) n++;
    await new Promise((r) => setTimeout(r, 5));
    return new Response('done');
  } }`, { limits: { cpuMs: 50 } });
  try {
    const all = await Promise.all(Array.from({ length: 10 }, () => w.fetch('/').then((r) => r.text())));
    assert.deepEqual(all, Array(10).fill('done'));
    assert.equal(w.worker().dead, null);
    for (const inv of await w.settled(10)) assert.ok(inv.cpuMs < 50, `charged ${inv.cpuMs} ms`);
  } finally {
    await w.close();
  }
});

test('Limits: cpu: a request with an unread body still gets its 503, not a closed socket', async () => {
  const w = await startWorker(`export default { async fetch() { for (;;) {} } }`);
  try {
    const res = await w.fetch('/', { method: 'POST', body: 'x'.repeat(200_000) });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('atoll-error'), 'exceededCpu');
  } finally {
    await w.close();
  }
});
