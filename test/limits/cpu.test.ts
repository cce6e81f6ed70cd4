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
