// The host side of the `fetch` op: it checks what the isolate sends whatever the prelude
// did, and it closes what tenant code leaves open.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { redirectHop, validateInit } from '../../src/runtime/ops/fetch.ts';
import { OpError } from '../../src/runtime/errors.ts';
import { createOutboundFetch, isOwnAddress, isPrivateAddress, isRefusedForTenants } from '../../src/runtime/outbound.ts';
import { networkInterfaces } from 'node:os';
import { startWorker } from '../helpers/worker.ts';
import { startOrigin, type Origin } from './fetch-origins.ts';

let origin: Origin;
before(async () => { origin = await startOrigin(); });
after(async () => { await origin.close(); });

const good = { method: 'GET', url: 'http://127.0.0.1/', headers: [['a', 'b']], body: null, redirect: 'follow', cf: null, cache: null, signal: null };

test('fetch op: validateInit: accepts a well-formed request and lower-cases header names', () => {
  const init = validateInit({ ...good, headers: [['X-A', 'b']], body: { bytes: new Uint8Array([1]) } });
  assert.deepEqual(init.headers, [['x-a', 'b']]);
  assert.deepEqual(init.body, { bytes: new Uint8Array([1]) });
});

test('fetch op: validateInit: refuses every malformed field with a TypeError naming it', () => {
  const cases: [unknown, RegExp][] = [
    [null, /not an object/],
    ['GET http://x', /not an object/],
    [{ ...good, method: 'G T' }, /method/],
    [{ ...good, method: 5 }, /method/],
    [{ ...good, url: { href: 'http://x/' } }, /url/],
    [{ ...good, url: 'http://x/' + 'a'.repeat(20000) }, /url/],
    [{ ...good, headers: 'a: b' }, /headers/],
    [{ ...good, headers: Array(1001).fill(['a', 'b']) }, /headers/],
    [{ ...good, headers: [['a', 'b', 'c']] }, /not a \[name, value\] pair/],
    [{ ...good, headers: [['bad name', 'b']] }, /a header name/],
    [{ ...good, headers: [['a', 'b\r\nInjected: yes']] }, /the value of header a/],
    [{ ...good, headers: [['a', { toString: () => 'x' }]] }, /the value of header a/],
    [{ ...good, body: 'text' }, /body/],
    [{ ...good, body: { bytes: [1, 2] } }, /body/],
    [{ ...good, body: { stream: 1.5 } }, /body/],
    [{ ...good, redirect: 'sometimes' }, /redirect/],
    [{ ...good, cache: 5 }, /cache/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => validateInit(input), (err: unknown) => {
      assert.ok(err instanceof OpError, `an OpError for ${JSON.stringify(input)?.slice(0, 80)}`);
      assert.equal(err.type, 'TypeError');
      assert.match(err.message, /^fetch: invalid request from the isolate: /);
      assert.match(err.message, message);
      return true;
    });
  }
});

test('fetch op: redirectHop: credentials follow a redirect only within the same origin', () => {
  const req = validateInit({ ...good, url: 'http://a.example/x', headers: [['authorization', 'Bearer t'], ['cookie', 'c=1'], ['x-keep', '1']] });
  const head = (location: string) => ({ status: 302, statusText: 'Found', headers: [['location', location]] as [string, string][], url: req.url, redirected: false });
  assert.deepEqual(redirectHop(req, head('/y'), 0)!.headers, req.headers);
  assert.deepEqual(redirectHop(req, head('http://b.example/y'), 0)!.headers, [['x-keep', '1']]);
  assert.equal(redirectHop(req, head('https://a.example/y'), 0)!.headers.length, 1, 'another scheme is another origin');
  assert.equal(redirectHop(req, { ...head('/y'), status: 200 }, 0), null);
  assert.equal(redirectHop({ ...req, redirect: 'manual' }, head('/y'), 0), null);
});

test('fetch op: exhaustion: response bodies a worker never reads are closed when its invocation ends', async () => {
  const w = await startWorker(`export default { async fetch(request, env) {
    for (let i = 0; i < 5; i++) await fetch(env.ORIGIN + '/big?bytes=' + 64 * 1024 * 1024);
    return new Response('left them unread');
  } }`, { bindings: [{ type: 'plain_text', name: 'ORIGIN', text: origin.url }], limits: { cpuMs: 1000 } });
  const before = origin.hits.length;
  try {
    assert.equal(await (await w.fetch('/')).text(), 'left them unread');
    await w.settled(1);
    const hits = origin.hits.slice(before);
    assert.equal(hits.length, 5);
    for (let i = 0; i < 100 && hits.some((h) => !h.aborted); i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(hits.map((h) => h.aborted), [true, true, true, true, true], 'every origin connection was closed');
    assert.equal(w.worker().hostStreams.size, 0, 'no host stream is left behind');
  } finally {
    await w.close();
  }
});

test('fetch op: client disconnect: a sub-request in flight is aborted when the client goes away', async () => {
  const w = await startWorker(`export default { async fetch(request, env) {
    return fetch(env.ORIGIN + '/slow');
  } }`, { bindings: [{ type: 'plain_text', name: 'ORIGIN', text: origin.url }], limits: { cpuMs: 1000, waitUntilMs: 200 } });
  const before = origin.hits.length;
  try {
    const ac = new AbortController();
    const pending = w.fetch('/', { signal: ac.signal }).catch((e: Error) => e.name);
    for (let i = 0; i < 100 && origin.hits.length === before; i++) await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    assert.equal(await pending, 'AbortError');
    const hit = origin.hits[before];
    for (let i = 0; i < 150 && !hit.aborted; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(hit.aborted, true, 'the origin saw its connection close');
    const inv = (await w.settled(1))[0];
    assert.equal(inv.outcome, 'canceled');
  } finally {
    await w.close();
  }
});

test('outbound: isPrivateAddress: loopback, private, link-local and mapped addresses are private; public ones are not', () => {
  for (const a of ['127.0.0.1', '10.1.2.3', '172.16.5.5', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) {
    assert.equal(isPrivateAddress(a), true, a);
  }
  for (const a of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', 'example.com']) assert.equal(isPrivateAddress(a), false, a);
});

test('outbound: isRefusedForTenants: every address of this machine is refused, public ones included (a platform on 0.0.0.0 answers there)', () => {
  const own = Object.values(networkInterfaces()).flatMap((list) => list ?? []).map((i) => i.address);
  assert.ok(own.length > 0);
  for (const a of own) {
    assert.equal(isOwnAddress(a), true, a);
    assert.equal(isRefusedForTenants(a), true, a);
  }
  for (const a of ['8.8.8.8', '2606:4700:4700::1111']) {
    assert.equal(isOwnAddress(a), own.includes(a), a);
    assert.equal(isRefusedForTenants(a), own.includes(a), a);
  }
});

test('outbound: refuseAddress: literal addresses and names that resolve to them are refused before connecting', async () => {
  const guarded = createOutboundFetch({ refuseAddress: isPrivateAddress });
  const port = new URL(origin.url).port;
  const before = origin.hits.length;
  const req = (url: string) => validateInit({ ...good, url, headers: [] });
  await assert.rejects(guarded(req(`http://127.0.0.1:${port}/echo`), null, new AbortController().signal),
    (err: OpError) => err.type === 'TypeError' && /is not allowed: 127\.0\.0\.1 is an address this platform does not let workers reach/.test(err.message));
  await assert.rejects(guarded(req(`http://[::ffff:7f00:1]:${port}/echo`), null, new AbortController().signal), /is not allowed/);
  await assert.rejects(guarded(req(`http://localhost:${port}/echo`), null, new AbortController().signal),
    (err: OpError) => err.type === 'TypeError' && /is not allowed: localhost resolves to .*which this platform does not let workers reach/.test(err.message));
  assert.equal(origin.hits.length, before, 'no connection reached the origin');
});

test('outbound: refuseAddress: a worker behind the policy gets a TypeError it can catch', async () => {
  const guarded = createOutboundFetch({ refuseAddress: isPrivateAddress });
  const w = await startWorker(`export default { async fetch(request, env) {
    try { await fetch(env.ORIGIN + '/echo'); return new Response('reached'); } catch (e) { return new Response(e.name + ': ' + e.message); }
  } }`, { bindings: [{ type: 'plain_text', name: 'ORIGIN', text: origin.url }], limits: { cpuMs: 1000 }, services: { fetch: (_c, init, body, signal) => guarded(init, body, signal) } });
  try {
    assert.match(await (await w.fetch('/')).text(), /^TypeError: Fetch to http:\/\/127\.0\.0\.1:\d+\/echo is not allowed/);
  } finally {
    await w.close();
  }
});
