// examples/leak-detector on atoll with a fake origin that streams its pages and a fake
// PagerDuty: a clean page arrives whole, a canary or a card number (even split across
// chunks) is a 403 that arrives while the origin is still sending, and PagerDuty gets
// one Events API v2 trigger that does not repeat the secret.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, beforeEach, describe, test } from 'node:test';
import { gate, runExample, startFake, type FakeService, type RunningExample } from './harness.ts';

const CANARY = 'shh-canary-0d5e1b';
const CARD = '4111 1111 1111 1111';
const ROUTING_KEY = 'R0UT1NGKEY0000000000000000000000';

let origin: FakeService;
let pagerduty: FakeService;
let worker: RunningExample;
let pdStatus = 202;
/** Pages still being sent by the origin (its hold not yet released). */
const sending = new Set<string>();
const holds: { open(): void }[] = [];
/** Pages whose connection the worker closed before the origin finished them. */
const cancelled: string[] = [];

// Each page: its content type and chunks; HOLD stops the origin there until the test ends.
const HOLD = Symbol('hold');
const PAGES: Record<string, { type: string; chunks: (string | typeof HOLD)[] }> = {
  '/clean': { type: 'text/html; charset=utf-8', chunks: ['<html><body><p>Order 4111 1111 1111 1112 ', 'placed at 1700000000000, ', 'call 555 0100 2000 3000.</p></body></html>'] },
  '/canary': { type: 'text/html', chunks: ['<html><body><table>', `<tr><td>${CANARY}</td></tr>`, HOLD, '</table></body></html>'] },
  '/canary-split': { type: 'text/html', chunks: ['<p>note: shh-cana', 'ry-0d5e1b</p>', HOLD, '<p>more</p>'] },
  '/card-split': { type: 'text/html', chunks: ['<p>Thanks! Card 4111 1111 11', '11 1111 was charged.</p>', HOLD, '<footer/>'] },
  '/api/customer': { type: 'application/json', chunks: ['{"name":"Ada","amex":"378282246310005"}'] },
  '/logo.png': { type: 'image/png', chunks: [`\x89PNG ${CANARY}`] },
};

before(async () => {
  origin = await startFake(async (req, res) => {
    const page = PAGES[req.url];
    if (!page) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
      return;
    }
    res.writeHead(200, [
      'Content-Type', page.type, 'X-Origin', 'yes', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2',
    ]);
    res.flushHeaders();
    res.on('close', () => { if (!res.writableFinished) cancelled.push(req.url); });
    sending.add(req.url);
    for (const chunk of page.chunks) {
      if (chunk === HOLD) {
        const g = gate();
        holds.push(g);
        await g.promise;
      } else {
        res.write(chunk);
        await sleep(50);    // separate chunks on the wire
      }
    }
    sending.delete(req.url);
    res.end();
  });
  pagerduty = await startFake((_req, res) => {
    res.writeHead(pdStatus, { 'content-type': 'application/json' });
    res.end(pdStatus === 202 ? '{"status":"success","message":"Event processed","dedup_key":"x"}' : '{"status":"invalid event"}');
  });
  worker = await runExample('leak-detector', {
    origin: origin.url,
    vars: { CANARY, PAGERDUTY_URL: `${pagerduty.url}/v2/enqueue`, PAGERDUTY_ROUTING_KEY: ROUTING_KEY },
  });
});

beforeEach(async () => {
  // Pages sent in waitUntil by an earlier test must not land in this one.
  await worker.idle();
  pagerduty.requests.length = 0;
  pdStatus = 202;
});

const releaseHolds = () => { for (const h of holds.splice(0)) h.open(); };

after(async () => {
  releaseHolds();
  await worker?.close();
  await origin?.close();
  await pagerduty?.close();
});

/** Asserts a 403 that arrived while the origin was still sending `path`, and returns PagerDuty's one event. */
async function blocked(path: string, init: RequestInit = {}): Promise<any> {
  const res = await worker.fetch(path, init);
  const body = await res.text();
  assert.equal(res.status, 403);
  assert.ok(sending.has(path), 'the 403 came only after the origin finished the page');
  assert.equal(body, 'Forbidden\n');
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('x-origin'), null, 'no origin header on the 403');
  // The rest of the page is not wanted: the origin sees its connection closed.
  const end = Date.now() + 10_000;
  while (!cancelled.includes(path) && Date.now() < end) await sleep(20);
  assert.ok(cancelled.includes(path), 'the origin request was not cancelled');
  cancelled.splice(cancelled.indexOf(path), 1);
  const [call] = await pagerduty.waitFor(1);
  assert.equal(call.method, 'POST');
  assert.equal(call.url, '/v2/enqueue');
  assert.equal(call.headers['content-type'], 'application/json');
  return JSON.parse(call.text);
}

describe('examples/leak-detector', () => {
  test('a clean page arrives whole with its headers, and nobody is paged', async () => {
    const res = await worker.fetch('/clean');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), PAGES['/clean'].chunks.join(''));
    assert.equal(res.headers.get('x-origin'), 'yes');
    assert.deepEqual(res.headers.getSetCookie(), ['a=1', 'b=2']);
    await worker.idle();
    assert.equal(pagerduty.requests.length, 0, 'a Luhn-invalid number, a timestamp and a phone number are not card numbers');
  });

  test('the canary: 403 before the origin has finished, and a PagerDuty trigger in the Events API v2 shape', async (t) => {
    t.after(releaseHolds);
    const event = await blocked('/canary', { headers: { 'user-agent': 'curl/8.5', 'x-forwarded-for': '198.51.100.7' } });
    assert.equal(event.routing_key, ROUTING_KEY);
    assert.equal(event.event_action, 'trigger');
    assert.match(event.dedup_key, /^leak:canary:127\.0\.0\.1:\d+\/canary$/);
    assert.equal(event.payload.severity, 'critical');
    assert.match(event.payload.summary, /\/canary contained the canary value/);
    assert.equal(event.payload.custom_details.kind, 'canary');
    assert.equal(event.payload.custom_details.method, 'GET');
    assert.equal(event.payload.custom_details.origin_status, 200);
    assert.equal(event.payload.custom_details.client_ip, '198.51.100.7');
    assert.equal(event.payload.custom_details.user_agent, 'curl/8.5');
    assert.ok(!JSON.stringify(event).includes(CANARY), 'the page does not repeat the secret');
    assert.equal(pagerduty.requests.length, 1);
  });

  test('a canary split across two chunks is found', async (t) => {
    t.after(releaseHolds);
    const event = await blocked('/canary-split');
    assert.equal(event.payload.custom_details.kind, 'canary');
  });

  test('a card number split across two chunks is found; the page names only its last four digits', async (t) => {
    t.after(releaseHolds);
    const event = await blocked('/card-split');
    assert.equal(event.payload.custom_details.kind, 'card number');
    assert.equal(event.payload.custom_details.found, 'a card number ending in 1111');
    assert.ok(!JSON.stringify(event).includes('4111111111111111') && !JSON.stringify(event).includes(CARD));
  });

  test('JSON is scanned too (an Amex number)', async () => {
    const res = await worker.fetch('/api/customer');
    assert.equal(res.status, 403);
    await res.arrayBuffer();
    const [call] = await pagerduty.waitFor(1);
    assert.equal(JSON.parse(call.text).payload.custom_details.found, 'a card number ending in 0005');
  });

  test('binary responses are not scanned and pass through', async () => {
    const res = await worker.fetch('/logo.png');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'image/png');
    await res.arrayBuffer();
  });

  test('PagerDuty refusing the event still leaves the user with a 403, and the failure is logged', async (t) => {
    t.after(releaseHolds);
    pdStatus = 400;
    await blocked('/canary');
    const deadline = Date.now() + 10_000;
    while (!worker.logs.some((l) => /PagerDuty answered 400/.test(l.message)) && Date.now() < deadline) await sleep(50);
    assert.ok(worker.logs.some((l) => l.level === 'error' && /PagerDuty answered 400/.test(l.message)), 'logged');
  });

  test('an origin 404 page is scanned and passed on with its status', async () => {
    const res = await worker.fetch('/nope');
    assert.equal(res.status, 404);
    assert.equal(await res.text(), 'not found');
  });
});
