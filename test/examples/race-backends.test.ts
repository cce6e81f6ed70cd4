// examples/race-backends on atoll with two fake storage backends and a fake StatHat:
// the first good tile wins while the other backend is still busy, a failed backend
// loses the race, both failing is a 502, and the stats arrive in StatHat's EZ shape
// without holding up the response.

import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, beforeEach, describe, test } from 'node:test';
import { gate, runExample, startFake, type FakeService, type Recorded, type RunningExample } from './harness.ts';

type Behaviour = { status: number; hold?: Promise<void> };

let gcs: FakeService;
let b2: FakeService;
let stats: FakeService;
let worker: RunningExample;
const behaviour: Record<string, Behaviour> = {};
let statsHold: Promise<void> = Promise.resolve();
const gates: { open(): void }[] = [];
/** Requests whose connection was closed before the backend answered (cancelled). */
const cancelled: string[] = [];

function backend(name: string) {
  return async (req: Recorded, res: ServerResponse) => {
    const b = behaviour[name];
    res.on('close', () => { if (!res.writableFinished) cancelled.push(`${name} ${req.url}`); });
    await b.hold;
    if (b.status !== 200) {
      res.writeHead(b.status, { 'content-type': 'text/plain' });
      res.end(`${name}: no`);
      return;
    }
    res.writeHead(200, { 'content-type': 'image/png', etag: `"${name}"` });
    res.end(`${name} bytes of ${req.url}`);
  };
}

/** A hold a test releases (all are released after each test, so no fake stays busy). */
function held() {
  const g = gate();
  gates.push(g);
  return g.promise;
}

before(async () => {
  gcs = await startFake(backend('gcs'));
  b2 = await startFake(backend('b2'));
  stats = await startFake(async (_req, res) => {
    await statsHold;
    res.end('ok');
  });
  worker = await runExample('race-backends', {
    vars: { GCS_URL: `${gcs.url}/maps`, B2_URL: `${b2.url}/maps`, STATHAT_URL: `${stats.url}/ez`, STATHAT_KEY: 'ops@example.test' },
  });
});

beforeEach(async () => {
  // Stats posted in waitUntil by an earlier test must not land in this one.
  await worker.idle();
  for (const f of [gcs, b2, stats]) f.requests.length = 0;
  cancelled.length = 0;
  statsHold = Promise.resolve();
});

const release = () => { for (const g of gates.splice(0)) g.open(); };

after(async () => {
  release();
  await worker?.close();
  for (const f of [gcs, b2, stats]) await f?.close();
});

describe('examples/race-backends', () => {
  test('the faster backend wins while the slower one is still busy; both were asked for the same object', async (t) => {
    t.after(release);
    behaviour.gcs = { status: 200, hold: held() };
    behaviour.b2 = { status: 200 };
    const res = await worker.fetch('/tiles/3/4/5.png');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'b2 bytes of /maps/tiles/3/4/5.png');
    assert.equal(res.headers.get('x-tile-backend'), 'b2');
    assert.equal(res.headers.get('etag'), '"b2"');
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.equal(res.headers.get('cache-control'), 'public, max-age=86400');
    await gcs.waitFor(1);
    assert.deepEqual([gcs.requests[0].method, gcs.requests[0].url], ['GET', '/maps/tiles/3/4/5.png']);
    assert.deepEqual([b2.requests[0].method, b2.requests[0].url], ['GET', '/maps/tiles/3/4/5.png']);
    // The slower request was cancelled: GCS sees its connection closed before it answers.
    const end = Date.now() + 10_000;
    while (!cancelled.includes('gcs /maps/tiles/3/4/5.png') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(cancelled, ['gcs /maps/tiles/3/4/5.png']);
  });

  test('a backend that answers first with an error loses the race to a good answer', async (t) => {
    t.after(release);
    const slow = gate();
    behaviour.gcs = { status: 200, hold: slow.promise };
    behaviour.b2 = { status: 404 };
    const pending = worker.fetch('/tiles/0/0/0.png');
    // Let B2's 404 arrive first, then let GCS answer.
    await b2.waitFor(1);
    await gcs.waitFor(1);
    setTimeout(slow.open, 200);
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-tile-backend'), 'gcs');
    assert.equal(await res.text(), 'gcs bytes of /maps/tiles/0/0/0.png');
  });

  test('StatHat gets one POST in its EZ shape, after a response that did not wait for it', async (t) => {
    t.after(release);
    statsHold = held();               // StatHat is slow today
    behaviour.gcs = { status: 200 };
    behaviour.b2 = { status: 200, hold: held() };
    const res = await worker.fetch('/tiles/12/2048/1365.png');
    assert.equal(await res.text(), 'gcs bytes of /maps/tiles/12/2048/1365.png');
    // The whole tile arrived although StatHat has not answered yet.
    const [call] = await stats.waitFor(1);
    assert.equal(call.method, 'POST');
    assert.equal(call.url, '/ez');
    assert.equal(call.headers['content-type'], 'application/json');
    const body = JSON.parse(call.text);
    assert.equal(body.ezkey, 'ops@example.test');
    assert.deepEqual(body.data[0], { stat: 'tiles served from gcs', count: 1 });
    assert.equal(body.data[1].stat, 'tile ms');
    assert.equal(typeof body.data[1].value, 'number');
    assert.ok(body.data[1].value >= 0);
    assert.equal(stats.requests.length, 1);
  });

  test('both backends failing is a 502, counted as a failure', async () => {
    behaviour.gcs = { status: 500 };
    behaviour.b2 = { status: 404 };
    const res = await worker.fetch('/tiles/1/1/1.png');
    assert.equal(res.status, 502);
    assert.equal(res.headers.get('retry-after'), '5');
    await res.arrayBuffer();
    const [call] = await stats.waitFor(1);
    assert.deepEqual(JSON.parse(call.text).data, [{ stat: 'tile failures', count: 1 }]);
  });

  test('a path that is not a tile is a 404 and asks no backend; POST is a 405', async () => {
    for (const path of ['/', '/tiles/a/b/c.png', '/tiles/1/2/3.png/../../etc', '/tiles/1/2.png']) {
      const res = await worker.fetch(path);
      assert.equal(res.status, 404, path);
      await res.arrayBuffer();
    }
    const post = await worker.fetch('/tiles/1/2/3.png', { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    await post.arrayBuffer();
    assert.equal(gcs.requests.length + b2.requests.length, 0);
  });
});
