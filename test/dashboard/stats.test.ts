// GET /api/v1/stats and /api/v1/workers/:name/stats over a real embedded platform:
// requests served at the edge show up in the last hour, per location, with errors and
// CPU percentiles; other accounts' workers and unknown names are refused like elsewhere.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEmbedded, type Embedded } from '../../src/edge/embedded.ts';

function get(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, timeout: 30_000 }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('last-hour stats', () => {
  let up: Embedded;
  let dir: string;
  let auth: Record<string, string>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atoll-stats-'));
    up = await startEmbedded({ dataDir: dir, ip: '127.0.0.1', edgePort: 0, apiPort: 0, location: 'test-loc', log: () => {} });
    auth = { authorization: `Bearer ${up.token}` };
  });
  after(async () => {
    await up?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('edge requests count in the worker\'s stats, per location', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await get(`${up.edge.url}/n${i}`, { host: 'localhost' })).status, 200);
    const one = JSON.parse((await get(`${up.api.url}/api/v1/workers/hello/stats`, auth)).body);
    assert.equal(one.window_minutes, 60);
    assert.equal(one.total.requests, 3);
    assert.equal(one.total.errors, 0);
    assert.equal(one.locations[0].location, 'test-loc');
    assert.equal(one.locations[0].minutes.length, 60);
    assert.equal(one.locations[0].minutes.at(-1).requests, 3);
    assert.ok(one.total.cpu_ms.p50 > 0 && one.total.cpu_ms.p50 <= one.total.cpu_ms.p99);
    const all = JSON.parse((await get(`${up.api.url}/api/v1/stats`, auth)).body);
    assert.deepEqual(all.workers.map((w: { worker: string; requests: number }) => [w.worker, w.requests]), [['hello', 3]]);
  });

  test('unknown and badly named workers are refused, and the call needs a token', async () => {
    const missing = await get(`${up.api.url}/api/v1/workers/nope/stats`, auth);
    assert.equal(missing.status, 404);
    assert.match(JSON.parse(missing.body).error.message, /worker "nope" does not exist/);
    const bad = await get(`${up.api.url}/api/v1/workers/Not%20Valid/stats`, auth);
    assert.equal(bad.status, 400);
    assert.equal(JSON.parse(bad.body).error.code, 'invalid_worker_name');
    assert.equal((await get(`${up.api.url}/api/v1/stats`, {})).status, 401);
  });
});
