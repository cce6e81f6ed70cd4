// examples/lava-millions on atoll with a fake randomness API: known bytes give known
// numbers (biased bytes and repeats skipped), short supplies fetch more, a failing API
// is a 502 page, and random bytes always give a valid ticket.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { runExample, startFake, type FakeService, type RunningExample } from './harness.ts';

let api: FakeService;
let worker: RunningExample;
/** What the API sends next, one entry a call; when empty, fresh random bytes. */
let queue: (Buffer | number)[] = [];

before(async () => {
  api = await startFake((req, res) => {
    const next = queue.shift() ?? randomBytes(Number(new URL(req.url, 'http://x').searchParams.get('bytes')));
    if (typeof next === 'number') {
      res.writeHead(next);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(next);
  });
  worker = await runExample('lava-millions', { vars: { RANDOM_URL: `${api.url}/random` } });
});

beforeEach(() => {
  queue = [];
  api.requests.length = 0;
});

after(async () => {
  await worker?.close();
  await api?.close();
});

function ticket(html: string): { white: number[]; mega: number } {
  const list = /<ol class="white">(.*?)<\/ol>/.exec(html);
  const mega = /Mega Ball: <b>(\d+)<\/b>/.exec(html);
  assert.ok(list && mega, `no ticket in ${html}`);
  return { white: [...list[1].matchAll(/<li>(\d+)<\/li>/g)].map((m) => Number(m[1])), mega: Number(mega[1]) };
}

const pad = (bytes: number[]) => Buffer.concat([Buffer.from(bytes), Buffer.alloc(32 - bytes.length, 0x07)]);

describe('examples/lava-millions', () => {
  test('known bytes give known numbers: bytes that would bias the draw and repeats are skipped', async () => {
    // 0xd2 = 210: not below 210, skipped | 0 -> 1 | 69 -> 70 | 139 -> 70 again, skipped |
    // 70 -> 1 again, skipped | 1 -> 2 | 2 -> 3 | 3 -> 4 || Mega Ball: 250 skipped | 24 -> 25
    queue = [pad([0xd2, 0, 69, 139, 70, 1, 2, 3, 250, 24])];
    const res = await worker.fetch('/');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const html = await res.text();
    assert.match(html, /<title>Lava Millions<\/title>/);
    assert.deepEqual(ticket(html), { white: [1, 2, 3, 4, 70], mega: 25 });
  });

  test('the randomness API gets exactly one GET for 32 bytes', async () => {
    await (await worker.fetch('/')).text();
    assert.equal(api.requests.length, 1);
    assert.equal(api.requests[0].method, 'GET');
    assert.equal(api.requests[0].url, '/random?bytes=32');
    assert.equal(api.requests[0].headers.accept, 'application/octet-stream');
  });

  test('when the bytes run out (all unusable) it asks again', async () => {
    queue = [Buffer.alloc(32, 0xff), Buffer.from([5, 6, 7, 8, 9]), Buffer.from([7])];
    const html = await (await worker.fetch('/')).text();
    assert.deepEqual(ticket(html), { white: [6, 7, 8, 9, 10], mega: 8 });
    // 5 bytes were not enough for the Mega Ball: a third call.
    assert.equal(api.requests.length, 3);
  });

  test('an API that fails, or never sends usable bytes, gives a 502 page', async () => {
    queue = [503];
    let res = await worker.fetch('/');
    assert.equal(res.status, 502);
    assert.match(await res.text(), /lava lamps are not answering/);
    assert.equal(res.headers.get('cache-control'), 'no-store');

    queue = [Buffer.alloc(32, 0xff), Buffer.alloc(32, 0xff), Buffer.alloc(32, 0xff), Buffer.alloc(32, 0xff)];
    api.requests.length = 0;
    res = await worker.fetch('/');
    assert.equal(res.status, 502);
    await res.text();
    assert.equal(api.requests.length, 3, 'gives up after 3 calls');
    assert.ok(worker.logs.some((l) => /no randomness: still short of random bytes after 3 calls/.test(l.message)));
  });

  test('random bytes always give a valid ticket: 5 different sorted numbers of 1-70 and one of 1-25', async () => {
    for (let i = 0; i < 25; i++) {
      const { white, mega } = ticket(await (await worker.fetch('/')).text());
      assert.equal(white.length, 5);
      assert.equal(new Set(white).size, 5);
      assert.deepEqual(white, [...white].sort((a, b) => a - b));
      assert.ok(white.every((n) => Number.isInteger(n) && n >= 1 && n <= 70), String(white));
      assert.ok(mega >= 1 && mega <= 25);
    }
  });

  test('other paths are 404 and POST is 405, without asking the API', async () => {
    const res = await worker.fetch('/favicon.ico');
    assert.equal(res.status, 404);
    await res.text();
    const post = await worker.fetch('/', { method: 'POST', body: '' });
    assert.equal(post.status, 405);
    await post.text();
    assert.equal(api.requests.length, 0);
  });
});
