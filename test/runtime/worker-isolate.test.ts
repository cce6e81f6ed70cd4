import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from '../helpers/worker.ts';

test('runtime: module worker answers with its env and the request body', async () => {
  const w = await startWorker(`export default { async fetch(req, env) { return new Response(env.NAME + ':' + req.method + ':' + await req.text()); } }`, {
    bindings: [{ type: 'plain_text', name: 'NAME', text: 'atoll' }],
  });
  try {
    const res = await w.fetch('/x', { method: 'POST', body: 'hello' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'atoll:POST:hello');
  } finally {
    await w.close();
  }
});

test('runtime: service-worker script sees bindings as globals', async () => {
  const w = await startWorker(`addEventListener('fetch', (e) => e.respondWith(new Response('sw ' + GREETING)));`, {
    bindings: [{ type: 'plain_text', name: 'GREETING', text: 'hi' }],
  });
  try {
    assert.equal(await (await w.fetch('/')).text(), 'sw hi');
  } finally {
    await w.close();
  }
});

test('runtime: waitUntil work finishes after the response is sent', async () => {
  const w = await startWorker(`export default { async fetch(req, env, ctx) {
    ctx.waitUntil(new Promise((r) => setTimeout(() => { console.log('later'); r(); }, 50)));
    return new Response('now');
  } }`);
  try {
    const res = await w.fetch('/');
    assert.equal(await res.text(), 'now');
    assert.deepEqual(w.logs, []);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(w.logs, ['log: later']);
  } finally {
    await w.close();
  }
});

test('runtime: a runaway loop after an await is stopped near the CPU limit and the next request is served', async () => {
  const w = await startWorker(`export default { async fetch(req) {
    if (new URL(req.url).pathname === '/spin') { await new Promise((r) => setTimeout(r, 5)); for (;;) {} }
    return new Response('fine');
  } }`, { limits: { cpuMs: 50 } });
  try {
    const res = await w.fetch('/spin');
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('atoll-error'), 'exceededCpu');
    const inv = (await w.settled(1))[0];
    assert.ok(inv.cpuMs >= 50 && inv.cpuMs < 65, `stopped at ${inv.cpuMs} ms of CPU`);
    assert.equal(await (await w.fetch('/')).text(), 'fine');
  } finally {
    await w.close();
  }
});
