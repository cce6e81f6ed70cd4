// `atoll dev --origin URL`: a worker's fetch() to its own host reaches the origin
// through the same HTTP cache an edge uses, and the Cache API shares its store.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDevServer } from '../../src/dev/server.ts';
import { startCountingOrigin } from './helpers.ts';

const WORKER = `export default {
  async fetch(request) {
    const url = new URL(request.url);
    const res = await fetch(new URL('/asset' + url.search, request.url), { cf: url.searchParams.has('ttl') ? { cacheTtl: 60 } : undefined });
    return new Response(await res.text(), { headers: { 'x-cache': res.headers.get('cf-cache-status') ?? 'none' } });
  },
};`;

test('atoll dev --origin: a fetch to the worker\'s own host goes through the cache (MISS, then HIT; cf.cacheTtl honoured)', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'atoll-dev-cache-'));
  const origin = await startCountingOrigin();
  t.after(async () => {
    await origin.close();
    rmSync(root, { recursive: true, force: true });
  });
  origin.on('/asset', (req, n) => ({ headers: req.url?.includes('ttl') ? {} : { 'cache-control': 'max-age=60' }, body: `asset ${n}` }));
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'src/index.js'), WORKER);
  const dev = await startDevServer({
    cwd: root, entry: 'src/index.js', config: null, env: null, ip: '127.0.0.1', port: 0, vars: [], origin: new URL(origin.url),
    cpuMs: 1000, memoryMb: null, trustForwardedFor: false, location: 'DEV', persistTo: join(root, '.atoll'),
    logFormat: 'json', logSinks: { stdout: () => {}, stderr: () => {} },
  });
  try {
    const get = async (q = '') => {
      const res = await fetch(dev.url + '/' + q, { signal: AbortSignal.timeout(30_000) });
      return [res.headers.get('x-cache'), await res.text()];
    };
    assert.deepEqual(await get(), ['MISS', 'asset 1']);
    assert.deepEqual(await get(), ['HIT', 'asset 1']);
    assert.equal(origin.hits('/asset'), 1);
    assert.deepEqual(await get('?ttl'), ['MISS', 'asset 1']);
    assert.deepEqual(await get('?ttl'), ['HIT', 'asset 1']);
    assert.equal(origin.hits('/asset?ttl'), 1);
  } finally {
    await dev.close();
  }
});
