// Purges end to end on the embedded platform (`atoll up`'s startEmbedded): the REST
// endpoint and `atoll cache purge` reach the edge's cache, only within the caller's
// zone, with clear errors for bad input and missing scopes.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEmbedded, type Embedded } from '../../src/edge/embedded.ts';
import { edgeRequest } from '../edge/helpers.ts';
import { runAtoll } from '../cli/platform-harness.ts';
import { startCountingOrigin, type CountingOrigin } from './helpers.ts';

const HOST = 'purge.test';

describe('Cache purge: API and CLI on atoll up', () => {
  let up: Embedded;
  let origin: CountingOrigin;
  let root: string;
  let zoneId: string;
  let token: string;

  const api = async (method: string, path: string, json?: unknown, auth = token) => {
    const res = await fetch(`${up.api.url}/api/v1${path}`, {
      method, headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' },
      body: json === undefined ? undefined : typeof json === 'string' ? json : JSON.stringify(json), signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, body: await res.json() as any };
  };
  const get = (path: string) => edgeRequest(up.edge, HOST, path);
  const cli = (args: string[]) => runAtoll(args, { env: { ATOLL_CONFIG_DIR: join(root, 'config') } });

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'atoll-purge-'));
    origin = await startCountingOrigin();
    for (const p of ['/a.css', '/assets/1.js', '/assets/2.js', '/tagged', '/other']) {
      origin.on(p, (_r, n) => ({ headers: { 'cache-control': 'max-age=600', 'cache-tag': p === '/tagged' ? 'product-1, all' : 'all' }, body: `${p} ${n}` }));
    }
    up = await startEmbedded({ dataDir: join(root, 'data'), ip: '127.0.0.1', edgePort: 0, apiPort: 0, location: 'PRG', log: () => {} });
    assert.ok(up.token);
    token = up.token;
    const z = await api('POST', '/zones', { hostname: HOST, origin: origin.url });
    assert.equal(z.status, 201);
    zoneId = z.body.zone.id;
    const login = await runAtoll(['login', '--url', up.api.url], { stdin: token, env: { ATOLL_CONFIG_DIR: join(root, 'config') } });
    assert.equal(login.code, 0, login.stderr);
  });

  after(async () => {
    await up?.close();
    await origin?.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function warm(): Promise<void> {
    for (const p of ['/a.css', '/assets/1.js', '/assets/2.js', '/tagged', '/other']) await get(p);
  }
  const cached = async (p: string) => (await get(p)).headers['cf-cache-status'] === 'HIT';

  test('POST /api/v1/zones/:id/purge_cache: files, prefixes, tags and purge_everything remove what they name', async () => {
    await warm();
    const files = await api('POST', `/zones/${zoneId}/purge_cache`, { files: [`http://${HOST}/a.css`] });
    assert.equal(files.status, 200, JSON.stringify(files.body));
    assert.deepEqual(files.body, { purged: { zone: zoneId, urls: [`http://${HOST}/a.css`] }, entries: 1 });
    assert.deepEqual([await cached('/a.css'), await cached('/other')], [false, true]);
    assert.equal(origin.hits('/a.css'), 2);
    assert.equal((await api('POST', `/zones/${zoneId}/purge_cache`, { prefixes: [`${HOST}/assets/`] })).body.entries, 2);
    assert.deepEqual([await cached('/assets/1.js'), await cached('/tagged')], [false, true]);
    assert.equal((await api('POST', `/zones/${zoneId}/purge_cache`, { tags: ['PRODUCT-1'] })).body.entries, 1);
    assert.equal(await cached('/tagged'), false);
    const all = await api('POST', `/zones/${zoneId}/purge_cache`, { purge_everything: true });
    assert.equal(all.body.entries, 4, 'a.css, assets/1.js and tagged were fetched again by the checks above; assets/2.js was not');
    assert.equal(await cached('/other'), false);
  });

  test('POST /api/v1/zones/:id/purge_cache: bad input is a 400 saying what is wrong', async () => {
    const cases: [unknown, string, RegExp][] = [
      ['[1]', 'invalid_json', /JSON object/],
      [{}, 'invalid_purge', /exactly one of files, prefixes, tags or purge_everything/],
      [{ files: ['http://purge.test/x'], tags: ['a'] }, 'invalid_purge', /exactly one/],
      [{ files: [] }, 'invalid_purge', /"files" must be a non-empty array/],
      [{ files: 'http://purge.test/x' }, 'invalid_purge', /"files" must be a non-empty array/],
      [{ files: [42] }, 'invalid_purge', /every item of "files"/],
      [{ files: Array(501).fill('http://purge.test/x') }, 'invalid_purge', /at most 500/],
      [{ files: ['http://elsewhere.test/x'] }, 'outside_zone', /not in the zone purge\.test/],
      [{ prefixes: ['ftp://purge.test/x'] }, 'invalid_purge', /is not a URL/],
      [{ tags: ['x'.repeat(2000)] }, 'invalid_purge', /at most 1024 characters/],
      [{ purge_everything: 'yes' }, 'invalid_purge', /"purge_everything" must be true/],
      [{ hosts: ['purge.test'] }, 'invalid_purge', /unknown field "hosts"/],
    ];
    for (const [body, code, message] of cases) {
      const r = await api('POST', `/zones/${zoneId}/purge_cache`, body);
      assert.equal(r.status, 400, JSON.stringify(body).slice(0, 80));
      assert.equal(r.body.error.code, code);
      assert.match(r.body.error.message, message);
    }
    assert.equal((await api('POST', '/zones/zone_nope/purge_cache', { purge_everything: true })).status, 404);
  });

  test('POST /api/v1/zones/:id/purge_cache: needs workers:write, and another account\'s zone does not exist for the caller', async () => {
    const ro = await api('POST', '/tokens', { name: 'reader', scopes: ['workers:read'] });
    assert.equal(ro.status, 201);
    const forbidden = await api('POST', `/zones/${zoneId}/purge_cache`, { purge_everything: true }, ro.body.token);
    assert.equal(forbidden.status, 403);
    assert.match(forbidden.body.error.message, /"workers:write" scope/);
    const other = await api('POST', '/accounts', { name: 'purge-other' });
    assert.equal(other.status, 201);
    await get('/other');
    const theirs = await api('POST', `/zones/${zoneId}/purge_cache`, { purge_everything: true }, other.body.token);
    assert.equal(theirs.status, 404);
    assert.equal(await cached('/other'), true);
  });

  test('atoll cache purge: by URL, tag and everything, the zone named by hostname or id', async () => {
    await warm();
    const url = await cli(['cache', 'purge', '--zone', HOST, '--url', `http://${HOST}/a.css`, '--url', `http://${HOST}/other`]);
    assert.equal(url.code, 0, url.stderr);
    assert.equal(url.stdout, `Purged 2 URLs in zone ${zoneId} (2 cached entries removed).\n`);
    assert.deepEqual([await cached('/a.css'), await cached('/tagged')], [false, true]);
    const tag = await cli(['cache', 'purge', '--zone', zoneId, '--tag', 'product-1', '--json']);
    assert.equal(JSON.parse(tag.stdout).entries, 1);
    const all = await cli(['cache', 'purge', '--zone', HOST, '--everything']);
    assert.match(all.stdout, /^Purged everything in zone zone_\w+ \(\d+ cached entr(y|ies) removed\)\.\n$/);
    assert.equal(await cached('/assets/2.js'), false);
  });

  test('atoll cache purge: bad command lines fail with a clear message', async () => {
    const none = await cli(['cache', 'purge', '--zone', HOST]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /atoll cache purge: give exactly one of --url, --prefix, --tag or --everything/);
    const noZone = await cli(['cache', 'purge', '--everything']);
    assert.equal(noZone.code, 2);
    assert.match(noZone.stderr, /required option '--zone <zone>' not specified/);
    const unknown = await cli(['cache', 'purge', '--zone', 'nowhere.test', '--everything']);
    assert.match(unknown.stderr, /no zone "nowhere\.test" in this account/);
    const outside = await cli(['cache', 'purge', '--zone', HOST, '--url', 'http://elsewhere.test/x']);
    assert.equal(outside.code, 1);
    assert.match(outside.stderr, /not in the zone purge\.test/);
  });
});
