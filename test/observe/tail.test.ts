// Live logs and metrics through the real platform: the control API and an edge in one
// process, requests over HTTP to the edge, the tail read as Server-Sent Events from the
// API, metrics read from /metrics and the JSON endpoints.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { processTelemetry } from '../../src/observe/telemetry.ts';
import { openTail } from '../../src/observe/tail-client.ts';
import { formatEvent } from '../../src/observe/tail-format.ts';
import { assertError, secondAccount, upload } from '../control/harness.ts';
import { edgeRequest, eventually, startPlatform, type Platform } from '../edge/helpers.ts';
import { openSse, type SseClient } from './sse.ts';

const LOGGER = `export default {
  async fetch(request) {
    const url = new URL(request.url);
    console.log('hit', request.method, url.pathname);
    if (url.pathname === '/boom') throw new Error('kaboom at ' + url.pathname);
    if (url.pathname === '/warn') console.warn('careful now');
    return new Response('ok ' + url.pathname);
  },
};`;

describe('Tail and metrics', () => {
  let p: Platform;
  let accountId = '';
  const tails: SseClient[] = [];
  const tail = async (query = '', worker = 'logger', token = p.h.token) => {
    const t = await openSse(`${p.h.api.url}/api/v1/workers/${worker}/tail${query}`, token);
    tails.push(t);
    assert.equal(t.status, 200);
    await t.next((f) => f.event === 'ready');
    return t;
  };
  const get = (path: string, method = 'GET') => edgeRequest(p.edge, 'tail.test', path, { method });
  const invocations = (t: SseClient) => t.frames.filter((f) => f.event === 'invocation').map((f) => f.data);

  before(async () => {
    p = await startPlatform();
    const { h } = p;
    accountId = (await h.call('GET', '/api/v1/whoami')).body.account.id;
    assert.equal((await h.call('POST', '/api/v1/zones', { json: { hostname: 'tail.test', origin: p.origin.url } })).status, 201);
    await upload(h, 'logger', { source: LOGGER });
    await upload(h, 'flood', { source: LOGGER });
    assert.equal((await h.call('POST', '/api/v1/routes', { json: { pattern: 'tail.test/*', worker: 'logger' } })).status, 201);
  });

  after(async () => {
    for (const t of tails) t.close();
    await p?.close();
  });

  test('Tail: stream: each request arrives as it ends, with its request, console lines, CPU and wall time', async () => {
    const t = await tail();
    assert.match(String(t.headers['content-type']), /^text\/event-stream/);
    assert.equal((await get('/hello')).text, 'ok /hello');
    const { data: e } = await t.next((f) => f.event === 'invocation');
    assert.equal(e.worker, 'logger');
    assert.equal(e.account, accountId);
    assert.equal(e.location, 'TST');
    assert.match(e.version, /^ver_/);
    assert.equal(e.trigger, 'fetch');
    assert.deepEqual(e.request, { method: 'GET', url: 'http://tail.test/hello', status: 200 });
    assert.deepEqual(e.logs.map((l: { level: string; message: string }) => `${l.level}: ${l.message}`), ['log: hit GET /hello']);
    assert.deepEqual(e.exceptions, []);
    assert.equal(e.outcome, 'ok');
    assert.ok(e.cpuMs > 0 && e.wallMs >= e.cpuMs * 0.5, `cpu ${e.cpuMs} ms, wall ${e.wallMs} ms`);
    assert.ok(Math.abs(Date.parse(e.time) - Date.now()) < 10_000, `time ${e.time}`);
  });

  test('Tail: stream: an uncaught exception arrives with its stack and the outcome exception', async () => {
    const t = await tail();
    assert.equal((await get('/boom')).status, 500);
    const { data: e } = await t.next((f) => f.event === 'invocation');
    assert.equal(e.outcome, 'exception');
    assert.equal(e.request.status, 500);
    assert.equal(e.exceptions.length, 1);
    assert.equal(e.exceptions[0].name, 'Error');
    assert.equal(e.exceptions[0].message, 'kaboom at /boom');
    assert.match(e.exceptions[0].stack, /Error: kaboom at \/boom\n\s+at /);
  });

  test('Tail: filters: status, method and search pick the events a tail gets', async () => {
    const errorsByPost = await tail('?status=error&method=POST');
    const search = await tail('?search=CAREFUL');
    const okOnly = await tail('?status=ok');
    await get('/boom');               // error, but GET
    await get('/fine', 'POST');       // POST, but ok
    await get('/warn');               // ok; mentions "careful" in a console line
    await get('/boom', 'POST');       // error and POST
    const e = (await errorsByPost.next((f) => f.event === 'invocation')).data;
    assert.deepEqual([e.request.method, e.request.url, e.outcome], ['POST', 'http://tail.test/boom', 'exception']);
    const s = (await search.next((f) => f.event === 'invocation')).data;
    assert.equal(s.request.url, 'http://tail.test/warn');
    await eventually(() => assert.equal(invocations(okOnly).length, 2));
    // Every request above has ended (its event was published to every tail at once).
    assert.deepEqual(invocations(errorsByPost).map((x) => x.request.url), ['http://tail.test/boom']);
    assert.deepEqual(invocations(search).map((x) => x.request.url), ['http://tail.test/warn']);
    assert.deepEqual(invocations(okOnly).map((x) => `${x.request.method} ${x.request.url}`), ['POST http://tail.test/fine', 'GET http://tail.test/warn']);
  });

  test('Tail: filters: sampling_rate 0.5 sends about half of the events', async () => {
    const all = await tail();
    const half = await tail('?sampling_rate=0.5');
    const n = 60;
    for (let i = 0; i < n; i++) await get(`/s${i}`);
    await eventually(() => assert.equal(invocations(all).length, n));
    // The sampled tail got its share of the same publishes; give its socket a moment.
    await new Promise((r) => setTimeout(r, 200));
    const got = invocations(half).length;
    assert.ok(got >= 15 && got <= 45, `sampling 0.5 of ${n} sent ${got}`);
  });

  test('Tail: bad input: an unknown parameter or a bad value answers 400 invalid_filter naming it', async () => {
    const call = (q: string) => p.h.call('GET', `/api/v1/workers/logger/tail${q}`);
    assertError(await call('?statsu=ok'), 400, 'invalid_filter', 'unknown parameter "statsu"');
    assertError(await call('?status=bad'), 400, 'invalid_filter', 'status "bad" is unknown; use ok, error, canceled');
    assertError(await call('?method=G%20T'), 400, 'invalid_filter', 'method "G T" is not an HTTP method');
    assertError(await call('?sampling_rate=0'), 400, 'invalid_filter', 'sampling_rate "0" must be a number above 0 and at most 1');
    assertError(await call('?sampling_rate=lots'), 400, 'invalid_filter', 'sampling_rate "lots"');
    assertError(await call('?sampling_rate=1.5'), 400, 'invalid_filter', 'sampling_rate "1.5"');
    assertError(await call('?search='), 400, 'invalid_filter', 'search must be 1 to 200 characters');
    assertError(await call(`?search=${'x'.repeat(201)}`), 400, 'invalid_filter', 'search must be 1 to 200 characters');
    assertError(await call('?status=ok,,error'), 400, 'invalid_filter', '"status" has an empty value');
  });

  test('Tail: auth: it needs logs:read, and another account\'s worker does not exist for it', async () => {
    const readOnly = await p.h.call('POST', '/api/v1/tokens', { json: { name: 'ro', scopes: ['workers:read'] } });
    assert.equal(readOnly.status, 201, readOnly.text);
    assertError(await p.h.call('GET', '/api/v1/workers/logger/tail', { token: readOnly.body.token }), 403, 'forbidden', '"logs:read"');
    assertError(await p.h.call('GET', '/api/v1/workers/logger/tail', { token: null }), 401, 'unauthorized');
    const other = await secondAccount(p.h, 'tail-other');
    assertError(await p.h.call('GET', '/api/v1/workers/logger/tail', { token: other.token }), 404, 'not_found', 'worker "logger"');
    assertError(await p.h.call('GET', '/api/v1/workers/nope/tail'), 404, 'not_found', 'worker "nope"');
  });

  test('Metrics: GET /api/v1/workers/:name/metrics: requests, errors by outcome, CPU and wall time per location', async () => {
    const r = await p.h.call('GET', '/api/v1/workers/logger/metrics');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.metrics.length, 1);
    const m = r.body.metrics[0];
    assert.equal(m.worker, 'logger');
    assert.equal(m.location, 'TST');
    // hello, boom, boom, POST fine, warn, POST boom, 60 sampled: 66 requests, 3 exceptions.
    assert.equal(m.requests, 66);
    assert.equal(m.errors, 3);
    assert.deepEqual(m.errors_by_outcome, { exception: 3 });
    assert.ok(m.cpu_ms.sum > 0 && m.cpu_ms.avg > 0 && m.wall_ms.avg >= m.cpu_ms.avg * 0.5, JSON.stringify(m));
    const all = await p.h.call('GET', '/api/v1/metrics');
    assert.deepEqual(all.body.metrics.map((x: { worker: string }) => x.worker), ['logger']);
    const other = await secondAccount(p.h, 'metrics-other');
    assert.deepEqual((await p.h.call('GET', '/api/v1/metrics', { token: other.token })).body.metrics, []);
    assertError(await p.h.call('GET', '/api/v1/workers/logger/metrics', { token: other.token }), 404, 'not_found');
  });

  test('Metrics: GET /metrics: Prometheus text with HELP and TYPE, cumulative buckets, _sum and _count', async () => {
    const r = await fetch(`${p.h.api.url}/metrics`, { headers: { authorization: `Bearer ${p.h.token}` } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await r.text();
    const id = `account="${accountId}",worker="logger",location="TST"`;
    assert.ok(text.includes('# HELP atoll_worker_requests_total ') && text.includes('# TYPE atoll_worker_requests_total counter\n'));
    assert.ok(text.includes(`atoll_worker_requests_total{${id},trigger="fetch"} 66\n`), text.slice(0, 2000));
    assert.ok(text.includes(`atoll_worker_errors_total{${id},trigger="fetch",outcome="exception"} 3\n`));
    for (const h of ['atoll_worker_cpu_seconds', 'atoll_worker_wall_seconds']) {
      assert.ok(text.includes(`# TYPE ${h} histogram\n`));
      const buckets = [...text.matchAll(new RegExp(`^${h}_bucket\\{${id},le="([^"]+)"\\} (\\d+)$`, 'gm'))];
      assert.ok(buckets.length >= 10, `${h}: ${buckets.length} buckets`);
      assert.equal(buckets.at(-1)![1], '+Inf');
      const counts = buckets.map((b) => Number(b[2]));
      assert.deepEqual(counts, [...counts].sort((a, b) => a - b), `${h} buckets are cumulative`);
      assert.ok(text.includes(`${h}_count{${id}} 66\n`));
      assert.equal(counts.at(-1), 66);
      assert.match(text, new RegExp(`^${h}_sum\\{${id}\\} [0-9.e-]+$`, 'm'));
    }
    // Every line is a comment or `name{labels} value`.
    for (const line of text.trimEnd().split('\n')) assert.match(line, /^(# (HELP|TYPE) \w+ .+|\w+\{[^}]*\} [-+0-9.eInf]+)$/, line);
    const unauth = await fetch(`${p.h.api.url}/metrics`);
    assert.equal(unauth.status, 401);
    const other = await secondAccount(p.h, 'prom-other');
    const theirs = await (await fetch(`${p.h.api.url}/metrics`, { headers: { authorization: `Bearer ${other.token}` } })).text();
    assert.ok(!theirs.includes('worker="logger"'), 'another account sees none of this account\'s series');
  });

  test('Tail: slow consumer: a client that stops reading is dropped and told so when it reads again; one that reads is kept', async () => {
    const slow = await tail('', 'flood');
    const fast = await tail('', 'flood');
    slow.pause();
    const before = processTelemetry.bus.subscribers;
    const big = 'x'.repeat(64 * 1024);
    const event = {
      time: new Date().toISOString(), location: 'TST', account: accountId, worker: 'flood', version: 'ver_x', trigger: 'fetch' as const,
      request: { method: 'GET', url: 'http://flood.test/', status: 200 }, logs: [{ level: 'log', message: big, time: new Date().toISOString() }],
      exceptions: [], cpuMs: 1, wallMs: 1, outcome: 'ok' as const,
    };
    // Up to 64 MiB, one event a millisecond: more than the tail's 1 MiB budget plus
    // what the sockets hold, at a pace a reading client keeps up with.
    let sent = 0;
    while (sent < 1024 && processTelemetry.bus.subscribers === before) {
      processTelemetry.bus.publish(event);
      sent++;
      await new Promise((r) => setTimeout(r, 1));
    }
    assert.equal(processTelemetry.bus.subscribers, before - 1, `the slow tail was unsubscribed (after ${sent} events)`);
    assert.ok(p.h.logs.some((l) => l.msg === 'tail dropped: the client reads too slowly'));
    await eventually(() => assert.equal(invocations(fast).length, sent));
    assert.ok(!fast.frames.some((f) => f.event === 'dropped'), 'the reading client is kept');
    slow.resume();
    await slow.ended;
    const last = slow.frames.at(-1)!;
    assert.equal(last.event, 'dropped');
    assert.match(last.data.reason, /fell more than 1048576 bytes behind the events and was closed; reconnect, or narrow it/);
    assert.ok(invocations(slow).length < sent, 'the slow client did not get every event');
  });

  test('Tail: openTail: the client yields events as they end and prints them as wrangler tail does; API errors come back as they are', async () => {
    const ac = new AbortController();
    const events = openTail({ url: p.h.api.url, token: p.h.token, worker: 'logger', status: ['error'], search: 'kaboom', signal: ac.signal });
    const before = processTelemetry.bus.subscribers;
    const first = events.next();
    // The subscription is made when the stream opens: wait for it before sending.
    await eventually(() => assert.equal(processTelemetry.bus.subscribers, before + 1));
    await get('/fine');
    await get('/boom', 'PUT');
    const { value: e } = await first;
    assert.ok(e);
    const pretty = formatEvent(e, 'pretty').split('\n');
    assert.match(pretty[0]!, /^PUT http:\/\/tail\.test\/boom 500 - Exception Thrown @ \d{4}-\d\d-\d\dT[\d:.]+Z \(TST, cpu [\d.]+ ms, wall [\d.]+ ms\)$/);
    assert.equal(pretty[1], '  (log) hit PUT /boom');
    assert.equal(pretty[2], '  ✘ Error: kaboom at /boom');
    assert.match(pretty[3]!, /^\s+at /);
    assert.deepEqual(JSON.parse(formatEvent(e, 'json')), e);
    ac.abort();
    assert.deepEqual(await events.next(), { done: true, value: undefined });
    const bad = openTail({ url: p.h.api.url, token: p.h.token, worker: 'logger', status: ['fine'] });
    await assert.rejects(bad.next(), (err: Error & { code?: string }) => err.code === 'invalid_filter' && /status "fine" is unknown/.test(err.message));
    const missing = openTail({ url: p.h.api.url, token: p.h.token, worker: 'nope' });
    await assert.rejects(missing.next(), (err: Error & { code?: string }) => err.code === 'not_found' && /worker "nope"/.test(err.message));
  });

  test('Metrics: a deleted worker\'s series are gone from /metrics and the JSON summary', async () => {
    await upload(p.h, 'gone', { source: LOGGER });
    processTelemetry.record({
      time: new Date().toISOString(), location: 'TST', account: accountId, worker: 'gone', version: 'ver_g', trigger: 'fetch',
      request: { method: 'GET', url: 'http://gone.test/', status: 200 }, logs: [], exceptions: [], cpuMs: 1, wallMs: 2, outcome: 'ok',
    });
    const workers = async () => (await p.h.call('GET', '/api/v1/metrics')).body.metrics.map((m: { worker: string }) => m.worker).sort();
    assert.deepEqual(await workers(), ['gone', 'logger']);
    assert.equal((await p.h.call('DELETE', '/api/v1/workers/gone')).status, 200);
    assert.deepEqual(await workers(), ['logger']);
    const text = await (await fetch(`${p.h.api.url}/metrics`, { headers: { authorization: `Bearer ${p.h.token}` } })).text();
    assert.ok(!text.includes('worker="gone"'));
    assert.ok(text.includes('worker="logger"'));
  });

  test('Tail: disconnect: a client that goes away is unsubscribed', async () => {
    const t = await tail();
    const before = processTelemetry.bus.subscribers;
    t.close();
    await eventually(() => assert.equal(processTelemetry.bus.subscribers, before - 1));
  });
});
