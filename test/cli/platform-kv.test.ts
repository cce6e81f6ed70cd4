// atoll kv namespace / key / bulk against a real control API, and with --local against
// atoll dev's SQLite store under .atoll/kv (read back with the same engine atoll dev
// opens).

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSqliteKv } from '../../src/store/sqlite-kv.ts';
import { assertFails, startPlatform, type Platform } from './platform-harness.ts';

let p: Platform;
let ns: string;
before(async () => {
  p = await startPlatform();
  const r = await p.cli(['kv', 'namespace', 'create', 'sessions']);
  assert.equal(r.code, 0, r.stderr);
  ns = /id (kvn_\w+)\./.exec(r.stdout)![1];
});
after(async () => { await p?.close(); });

describe('atoll kv namespace', () => {
  test('atoll kv namespace create: prints the id and the wrangler.toml lines to bind it', async () => {
    const r = await p.cli(['kv', 'namespace', 'create', 'user-cache']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Created KV namespace "user-cache" with id (kvn_\w+)\.\nBind it in wrangler\.toml:\n\n\[\[kv_namespaces\]\]\nbinding = "USER_CACHE"\nid = "kvn_\w+"\n$/);
  });

  test('atoll kv namespace list: a table, and --json', async () => {
    const r = await p.cli(['kv', 'namespace', 'list']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ID +TITLE +CREATED\n/);
    assert.match(r.stdout, new RegExp(`^${ns} +sessions +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ$`, 'm'));
    const json = JSON.parse((await p.cli(['kv', 'namespace', 'list', '--json'])).stdout);
    assert.ok(json.namespaces.some((n: any) => n.id === ns && n.title === 'sessions'));
  });

  test('atoll kv namespace delete: removes it', async () => {
    const made = JSON.parse((await p.cli(['kv', 'namespace', 'create', 'doomed', '--json'])).stdout).namespace.id;
    const r = await p.cli(['kv', 'namespace', 'delete', made]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Deleted KV namespace ${made} and its keys.\n`);
    const list = JSON.parse((await p.cli(['kv', 'namespace', 'list', '--json'])).stdout);
    assert.ok(!list.namespaces.some((n: any) => n.id === made));
  });

  test('atoll kv namespace create: a title in use: the API\'s reason', async () => {
    assertFails(await p.cli(['kv', 'namespace', 'create', 'sessions']), 'kv namespace create', /already has a KV namespace titled "sessions"/);
  });

  test('atoll kv namespace delete: an unknown id: the API\'s reason', async () => {
    assertFails(await p.cli(['kv', 'namespace', 'delete', 'kvn_nope']), 'kv namespace delete', /KV namespace "kvn_nope"/);
  });

  test('atoll kv namespace: no verb: usage on stderr, exit 2', async () => {
    const r = await p.cli(['kv', 'namespace']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^Usage: atoll kv namespace \[options\] \[command\]/);
  });
});

describe('atoll kv key', () => {
  test('atoll kv key put/get: text with metadata and a TTL, read back as stored', async () => {
    const put = await p.cli(['kv', 'key', 'put', 'user/1', 'héllo', '--namespace-id', ns, '--ttl', '3600', '--metadata', '{"v":1}']);
    assert.equal(put.code, 0, put.stderr);
    assert.equal(put.stdout, `Wrote "user/1" (6 bytes) to KV namespace ${ns}.\n`);
    const get = await p.cli(['kv', 'key', 'get', 'user/1', '--namespace-id', ns]);
    assert.equal(get.stdout, 'héllo');
    const json = JSON.parse((await p.cli(['kv', 'key', 'get', 'user/1', '--namespace-id', ns, '--json'])).stdout);
    assert.equal(json.value, 'héllo');
    assert.deepEqual(json.metadata, { v: 1 });
    assert.ok(Math.abs(json.expiration - (Date.now() / 1000 + 3600)) < 120, `expiration ${json.expiration}`);
  });

  test('atoll kv key put --path: binary bytes round trip unchanged', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 13]);
    const file = join(p.project({ 'x': '' }), 'blob.bin');
    writeFileSync(file, bytes);
    assert.equal((await p.cli(['kv', 'key', 'put', 'blob', '--path', file, '--namespace-id', ns])).code, 0);
    const res = await fetch(`${p.h.api.url}/api/v1/kv/namespaces/${ns}/values/blob`, { headers: { authorization: `Bearer ${p.h.token}` } });
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
  });

  test('atoll kv key list: names, --prefix, and --json with metadata', async () => {
    await p.cli(['kv', 'key', 'put', 'user/2', 'b', '--namespace-id', ns]);
    const r = await p.cli(['kv', 'key', 'list', '--namespace-id', ns, '--prefix', 'user/']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'user/1\nuser/2\n');
    const json = JSON.parse((await p.cli(['kv', 'key', 'list', '--namespace-id', ns, '--prefix', 'user/1', '--json'])).stdout);
    assert.equal(json.keys.length, 1);
    assert.deepEqual(json.keys[0].metadata, { v: 1 });
    assert.equal(typeof json.keys[0].expiration, 'number');
    const none = await p.cli(['kv', 'key', 'list', '--namespace-id', ns, '--prefix', 'zzz']);
    assert.equal(none.stdout, `no keys starting with "zzz" in KV namespace ${ns}\n`);
  });

  test('atoll kv key delete: the key is gone', async () => {
    await p.cli(['kv', 'key', 'put', 'gone', 'x', '--namespace-id', ns]);
    const r = await p.cli(['kv', 'key', 'delete', 'gone', '--namespace-id', ns]);
    assert.equal(r.code, 0, r.stderr);
    assertFails(await p.cli(['kv', 'key', 'get', 'gone', '--namespace-id', ns]), 'kv key get', /key "gone" is not in KV namespace kvn_\w+ \(or it expired\)/);
  });

  test('atoll kv key --binding: finds the id in wrangler.toml', async () => {
    const dir = p.project({ 'wrangler.toml': `name = "w"\nkv_namespaces = [{ binding = "SESSIONS", id = "${ns}", preview_id = "dev-sessions" }]\n` });
    assert.equal((await p.cli(['kv', 'key', 'put', 'via-binding', 'yes', '--binding', 'SESSIONS'], { cwd: dir })).code, 0);
    const got = await p.h.call('GET', `/api/v1/kv/namespaces/${ns}/values/via-binding`);
    assert.equal(got.text, 'yes');
  });
});

describe('atoll kv key --local', () => {
  test('atoll kv key put --local: writes atoll dev\'s store under the binding\'s preview_id; get/list/delete read it', async () => {
    const dir = p.project({ 'wrangler.toml': 'name = "w"\nkv_namespaces = [{ binding = "CACHE", id = "kvn_remote", preview_id = "dev-cache" }]\n' });
    const put = await p.cli(['kv', 'key', 'put', 'k', 'local value', '--binding', 'CACHE', '--local', '--metadata', '{"m":2}'], { cwd: dir });
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stdout, /^Wrote "k" \(11 bytes\) to local KV namespace "dev-cache" in .*\.atoll\/kv\.$/m);
    const store = await openSqliteKv(join(dir, '.atoll', 'kv'));
    try {
      const entry = await store.get('dev-cache', 'k');
      assert.equal(new TextDecoder().decode(entry!.value), 'local value');
      assert.equal(entry!.metadata, '{"m":2}');
    } finally {
      await store.close();
    }
    assert.equal((await p.cli(['kv', 'key', 'get', 'k', '--binding', 'CACHE', '--local'], { cwd: dir })).stdout, 'local value');
    assert.equal((await p.cli(['kv', 'key', 'list', '--binding', 'CACHE', '--local'], { cwd: dir })).stdout, 'k\n');
    assert.equal((await p.cli(['kv', 'key', 'delete', 'k', '--binding', 'CACHE', '--local'], { cwd: dir })).code, 0);
    assert.equal((await p.cli(['kv', 'key', 'list', '--binding', 'CACHE', '--local'], { cwd: dir })).stdout, 'no keys in local KV namespace "dev-cache" in ' + join(dir, '.atoll', 'kv') + '\n');
  });

  test('atoll kv key put --local --persist-to: uses that folder, and never the API', async () => {
    const dir = p.project({ 'x': '' });
    const r = await p.cli(['kv', 'key', 'put', 'a', '1', '--namespace-id', 'NS', '--local', '--persist-to', 'state'], { cwd: dir, env: { ATOLL_CONFIG_DIR: join(dir, 'nobody') } });
    assert.equal(r.code, 0, r.stderr);
    const store = await openSqliteKv(join(dir, 'state', 'kv'));
    try {
      assert.equal(new TextDecoder().decode((await store.get('NS', 'a'))!.value), '1');
    } finally {
      await store.close();
    }
  });

  test('atoll kv key put --local: past a Workers KV limit, the same wording as the API', async () => {
    const dir = p.project({ 'x': '' });
    assertFails(await p.cli(['kv', 'key', 'put', 'k'.repeat(513), 'v', '--namespace-id', 'NS', '--local'], { cwd: dir }), 'kv key put', /KV PUT failed: 414 UTF-8 encoded length of 513 exceeds key length limit of 512\./);
    assertFails(await p.cli(['kv', 'key', 'put', 'k', 'v', '--namespace-id', 'NS', '--local', '--ttl', '10'], { cwd: dir }), 'kv key put', /Invalid expiration_ttl of 10\. Expiration TTL must be at least 60\./);
  });
});

describe('atoll kv bulk', () => {
  test('atoll kv bulk put: writes text and base64 pairs with metadata; bulk delete removes them', async () => {
    const dir = p.project({
      'data.json': JSON.stringify([{ key: 'b1', value: 'one' }, { key: 'b2', value: Buffer.from([1, 2, 3]).toString('base64'), base64: true, expiration_ttl: 600, metadata: { t: 1 } }]),
      'keys.json': JSON.stringify(['b1', { key: 'b2' }]),
    });
    const put = await p.cli(['kv', 'bulk', 'put', 'data.json', '--namespace-id', ns], { cwd: dir });
    assert.equal(put.code, 0, put.stderr);
    assert.equal(put.stdout, `Wrote 2 keys to KV namespace ${ns}.\n`);
    assert.equal((await p.h.call('GET', `/api/v1/kv/namespaces/${ns}/values/b1`)).text, 'one');
    const b2 = await p.h.call('GET', `/api/v1/kv/namespaces/${ns}/values/b2`);
    assert.equal(b2.headers.get('atoll-kv-metadata'), '{"t":1}');
    const del = await p.cli(['kv', 'bulk', 'delete', 'keys.json', '--namespace-id', ns], { cwd: dir });
    assert.equal(del.stdout, `Deleted 2 keys from KV namespace ${ns}.\n`);
    assert.equal((await p.h.call('GET', `/api/v1/kv/namespaces/${ns}/values/b1`)).status, 404);
  });

  test('atoll kv bulk put --local: writes every pair into the local store', async () => {
    const dir = p.project({ 'data.json': JSON.stringify([{ key: 'x', value: '1' }, { key: 'y', value: '2' }]) });
    assert.equal((await p.cli(['kv', 'bulk', 'put', 'data.json', '--namespace-id', 'L', '--local'], { cwd: dir })).code, 0);
    assert.equal((await p.cli(['kv', 'key', 'list', '--namespace-id', 'L', '--local'], { cwd: dir })).stdout, 'x\ny\n');
  });

  const bad: [string, string, RegExp][] = [
    ['not JSON', '{', /bad\.json is not valid JSON \(.+\): write a JSON array/],
    ['not an array', '{"key":"a"}', /bad\.json must hold a JSON array/],
    ['an entry without a value', '[{"key":"a"}]', /bad\.json: entry \[0\] has no "value" string/],
    ['a TTL that is not a number', '[{"key":"a","value":"1","expiration_ttl":"soon"}]', /bad\.json: entry \[0\] "expiration_ttl" must be a whole number of seconds/],
  ];
  for (const [what, text, pattern] of bad) {
    test(`atoll kv bulk put: ${what}: names the file and the entry, writes nothing`, async () => {
      const dir = p.project({ 'bad.json': text });
      assertFails(await p.cli(['kv', 'bulk', 'put', 'bad.json', '--namespace-id', ns], { cwd: dir }), 'kv bulk put', pattern);
    });
  }

  test('atoll kv bulk put: one pair over a limit: the API refuses them all', async () => {
    const dir = p.project({ 'bad.json': JSON.stringify([{ key: 'ok-1', value: 'v' }, { key: 'k'.repeat(600), value: 'v' }]) });
    assertFails(await p.cli(['kv', 'bulk', 'put', 'bad.json', '--namespace-id', ns], { cwd: dir }), 'kv bulk put', /exceeds key length limit of 512/);
    assert.equal((await p.h.call('GET', `/api/v1/kv/namespaces/${ns}/values/ok-1`)).status, 404);
  });

  test('atoll kv bulk delete: a file that does not exist: says so', async () => {
    assertFails(await p.cli(['kv', 'bulk', 'delete', 'missing.json', '--namespace-id', ns]), 'kv bulk delete', /cannot read missing\.json \(ENOENT\): give the path of a JSON file/);
  });
});

describe('atoll kv: bad input', () => {
  const cases: [string[], string, RegExp, number?][] = [
    [['kv', 'key', 'get', 'k'], 'kv key get', /no namespace named: pass --namespace-id ID or --binding NAME/],
    [['kv', 'key', 'get', 'k', '--namespace-id', 'a', '--binding', 'B'], 'kv key get', /pass --namespace-id or --binding, not both/],
    [['kv', 'key', 'list', '--binding', 'NOPE'], 'kv key list', /no KV binding "NOPE" \(no wrangler\.toml here\): add it to kv_namespaces or pass --namespace-id/],
    [['kv', 'key', 'put', 'k', '--namespace-id', 'kvn_x'], 'kv key put', /give the value as an argument or with --path FILE/],
    [['kv', 'key', 'put', 'k', 'v', '--namespace-id', 'kvn_nope'], 'kv key put', /KV namespace "kvn_nope"/],
    [['kv', 'key', 'put', 'k', '--path', 'nope.bin', '--namespace-id', 'kvn_x'], 'kv key put', /cannot read --path nope\.bin \(ENOENT\)/],
    [['kv', 'key', 'put', 'k', 'v', '--namespace-id', 'kvn_x', '--persist-to', 'x'], 'kv key put', /--persist-to goes with --local/],
    [['kv', 'key', 'put', 'k', 'v', '--namespace-id', 'kvn_x', '--metadata', '{bad'], 'kv key put', /option '--metadata <json>' argument '\{bad' is invalid\. "\{bad" is not JSON/, 2],
    [['kv', 'key', 'put', 'k', 'v', '--namespace-id', 'kvn_x', '--ttl', 'soon'], 'kv key put', /option '--ttl <seconds>' argument 'soon' is invalid/, 2],
    [['kv', 'key', 'del', 'k'], 'kv key', /unknown command 'del'/, 2],
  ];
  for (const [args, command, pattern, code] of cases) {
    test(`atoll ${args.join(' ')}: one-line reason, exit ${code ?? 1}`, async () => {
      assertFails(await p.cli(args, { cwd: p.project({ 'x': '' }) }), command, pattern, code ?? 1);
    });
  }

  test('atoll kv key list: a token without kv:read: the API names the scope', async () => {
    const made = await p.h.call('POST', '/api/v1/tokens', { json: { name: 'deployer', scopes: ['workers:write'] } });
    const r = await p.cli(['kv', 'key', 'list', '--namespace-id', ns], { env: { ATOLL_API_URL: p.h.api.url, ATOLL_API_TOKEN: made.body.token } });
    assertFails(r, 'kv key list', /this call needs the "kv:read" scope/);
  });
});
