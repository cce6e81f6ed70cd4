// atoll secret, token, zone and route against a real control API: what each prints,
// that secret values never come back, that a revoked token stops working, and a one-line
// reason for every bad input.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ROOT } from '../dev/spawn-cli.ts';
import { HELLO, upload } from '../control/harness.ts';
import { assertFails, deadUrl, startPlatform, type Platform } from './platform-harness.ts';

let p: Platform;
before(async () => {
  p = await startPlatform();
  await upload(p.h, 'hello', { source: HELLO });
});
after(async () => { await p?.close(); });

describe('atoll secret', () => {
  const VALUE = 's3cr3t-value-never-shown';

  test('atoll secret put: value from stdin: set, and never printed', async () => {
    const r = await p.cli(['secret', 'put', 'API_KEY', '--name', 'hello'], { stdin: `${VALUE}\n` });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Set secret API_KEY of worker "hello"; deployed versions see it from their next isolate start.\n');
    assert.ok(!r.stdout.includes(VALUE) && !r.stderr.includes(VALUE));
    // The value reached the store whole (without the newline echo adds), encrypted.
    const stored = await p.h.store.getSecrets((await p.h.call('GET', '/api/v1/whoami')).body.account.id, 'hello');
    assert.equal(stored.length, 1);
    assert.ok(!JSON.stringify(stored).includes(VALUE));
  });

  test('atoll secret list: names and times, never values', async () => {
    const r = await p.cli(['secret', 'list', '--name', 'hello']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAME +UPDATED\nAPI_KEY +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\n$/);
    const json = await p.cli(['secret', 'list', '--name', 'hello', '--json']);
    assert.deepEqual(JSON.parse(json.stdout).secrets.map((s: any) => Object.keys(s).sort()), [['name', 'updated_at']]);
    assert.ok(!json.stdout.includes(VALUE));
  });

  test('atoll secret delete: removes it', async () => {
    await p.cli(['secret', 'put', 'TEMP', '--name', 'hello'], { stdin: 'x' });
    const r = await p.cli(['secret', 'delete', 'TEMP', '--name', 'hello']);
    assert.equal(r.stdout, 'Deleted secret TEMP of worker "hello".\n');
    assert.doesNotMatch((await p.cli(['secret', 'list', '--name', 'hello'])).stdout, /TEMP/);
  });

  test('atoll secret put: the worker name from wrangler.toml', async () => {
    const dir = p.project({ 'wrangler.toml': 'name = "hello"\n' });
    assert.equal((await p.cli(['secret', 'put', 'FROM_CONFIG'], { cwd: dir, stdin: 'v' })).code, 0);
    assert.match((await p.cli(['secret', 'list'], { cwd: dir })).stdout, /^FROM_CONFIG /m);
  });

  // A terminal is needed to see what the prompt echoes: util-linux `script` gives one.
  const hasScript = spawnSync('script', ['--version']).status === 0;
  test('atoll secret put: at a terminal: prompts, and what is typed is not echoed', { skip: hasScript ? false : 'needs util-linux `script` for a pseudo-terminal' }, async () => {
    const typed = 'typed-at-the-prompt';
    const command = `${process.execPath} --no-node-snapshot ${join(ROOT, 'bin/atoll.js')} secret put TYPED --name hello`;
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, ATOLL_CONFIG_DIR: p.configDir }, stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (d) => {
      screen += d;
      // Type only once the prompt shows: before that the terminal itself would echo.
      if (screen.includes('Value of TYPED: ') && !child.stdin.writableEnded) child.stdin.end(`${typed}\r`);
    });
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0, screen);
    assert.match(screen, /^Value of TYPED: /);
    assert.match(screen, /Set secret TYPED of worker "hello"/);
    assert.ok(!screen.includes(typed), `the value was echoed:\n${screen}`);
    assert.match((await p.cli(['secret', 'list', '--name', 'hello'])).stdout, /^TYPED /m);
  });

  test('atoll secret put: empty stdin: says how to give the value', async () => {
    assertFails(await p.cli(['secret', 'put', 'X', '--name', 'hello'], { stdin: '' }), 'secret put', /empty value: pipe it on stdin/);
  });

  test('atoll secret put: a name that is not an identifier: the API\'s reason', async () => {
    assertFails(await p.cli(['secret', 'put', 'not-valid', '--name', 'hello'], { stdin: 'v' }), 'secret put', /secret name "not-valid" is not a JavaScript identifier/);
  });

  test('atoll secret put: a value over 5 KiB: the API\'s reason, and the value is not echoed', async () => {
    const big = 'z'.repeat(6000);
    const r = await p.cli(['secret', 'put', 'BIG', '--name', 'hello'], { stdin: big });
    assertFails(r, 'secret put', /the secret value is over 5120 bytes/);
    assert.ok(!r.stderr.includes(big.slice(0, 100)));
  });

  test('atoll secret delete: a secret that does not exist: the API\'s reason', async () => {
    assertFails(await p.cli(['secret', 'delete', 'NOPE', '--name', 'hello']), 'secret delete', /secret "NOPE" of worker "hello"/);
  });

  test('atoll secret list: no worker named: says what to pass', async () => {
    assertFails(await p.cli(['secret', 'list'], { cwd: p.project({ 'x': '' }) }), 'secret list', /no worker named: pass --name WORKER/);
  });

  test('atoll secret put: VALUE on the command line: a usage error (values never go in argv)', async () => {
    assertFails(await p.cli(['secret', 'put', 'K', 'value', '--name', 'hello']), 'secret put', /too many arguments/, 2);
  });
});

describe('atoll token', () => {
  let id: string;
  let token: string;

  test('atoll token create: prints the token once with its scopes and expiry', async () => {
    const r = await p.cli(['token', 'create', 'ci deploys', '--scope', 'workers:write', '--scope', 'kv:write', '--expires', '2099-06-30T00:00:00Z']);
    assert.equal(r.code, 0, r.stderr);
    const m = /^Created token "ci deploys" \((tok_\w+); workers:write, kv:write; expires 2099-06-30 00:00:00Z\)\.\nIt is shown this once; keep it somewhere safe:\n\n(atoll_[\w-]{43})\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    [, id, token] = m;
  });

  test('atoll token list: every token with scopes and state, never the token', async () => {
    const r = await p.cli(['token', 'list']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ID +NAME +SCOPES +STATE\n/);
    assert.match(r.stdout, new RegExp(`^${id} +ci deploys +workers:write,kv:write +active until 2099-06-30 00:00:00Z$`, 'm'));
    assert.match(r.stdout, /^tok_\w+ +bootstrap admin +admin +active$/m);
    assert.ok(!r.stdout.includes(token));
  });

  test('atoll token revoke: the token stops working at once', async () => {
    const env = { ATOLL_API_URL: p.h.api.url, ATOLL_API_TOKEN: token };
    assert.equal((await p.cli(['whoami'], { env })).code, 0);
    const r = await p.cli(['token', 'revoke', id]);
    assert.equal(r.stdout, `Revoked token ${id}.\n`);
    assertFails(await p.cli(['whoami'], { env }), 'whoami', new RegExp(`the API token ${id} \\("ci deploys"\\) was revoked`));
    assert.match((await p.cli(['token', 'list'])).stdout, new RegExp(`^${id} .+ revoked \\d{4}-`, 'm'));
  });

  test('atoll token create: no --scope: the API names the scopes', async () => {
    assertFails(await p.cli(['token', 'create', 'nothing']), 'token create', /"scopes" must be a non-empty array of strings from: workers:read/);
  });

  test('atoll token create: an unknown scope: a usage error naming the scopes', async () => {
    assertFails(await p.cli(['token', 'create', 'x', '--scope', 'root']), 'token create', /"root" is not a scope: use workers:read, workers:write, kv:read, kv:write, logs:read, admin/, 2);
  });

  test('atoll token create: --expires not a time: a usage error', async () => {
    assertFails(await p.cli(['token', 'create', 'x', '--scope', 'admin', '--expires', 'tomorrow']), 'token create', /"tomorrow" is not a time/, 2);
  });

  test('atoll token create: --expires in the past: the API\'s reason', async () => {
    assertFails(await p.cli(['token', 'create', 'x', '--scope', 'admin', '--expires', '2001-01-01T00:00:00Z']), 'token create', /"expires_at" is in the past/);
  });

  test('atoll token list: a token without admin: the API names the scope', async () => {
    const made = await p.h.call('POST', '/api/v1/tokens', { json: { name: 'reader', scopes: ['workers:read'] } });
    assertFails(await p.cli(['token', 'list'], { env: { ATOLL_API_URL: p.h.api.url, ATOLL_API_TOKEN: made.body.token } }), 'token list', /needs the "admin" scope/);
  });

  test('atoll token revoke: an unknown id: the API\'s reason', async () => {
    assertFails(await p.cli(['token', 'revoke', 'tok_nope']), 'token revoke', /token "tok_nope"/);
  });
});

describe('atoll zone and route', () => {
  let zoneId: string;
  let routeId: string;

  test('atoll zone create: prints the zone and its origin', async () => {
    const r = await p.cli(['zone', 'create', 'example.com', '--origin', 'https://origin.example.net']);
    assert.equal(r.code, 0, r.stderr);
    const m = /^Created zone example\.com \((zone_\w+)\), origin https:\/\/origin\.example\.net\.\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    zoneId = m[1];
  });

  test('atoll zone list: a table, and --json', async () => {
    const r = await p.cli(['zone', 'list']);
    assert.match(r.stdout, new RegExp(`^ID +HOSTNAME +ORIGIN\n${zoneId} +example\\.com +https://origin\\.example\\.net\n$`));
    assert.equal(JSON.parse((await p.cli(['zone', 'list', '--json'])).stdout).zones[0].id, zoneId);
  });

  test('atoll route create/list/delete: binds a pattern to a worker and removes it', async () => {
    const r = await p.cli(['route', 'create', 'example.com/api/*', '--worker', 'hello']);
    assert.equal(r.code, 0, r.stderr);
    const m = /^Created route example\.com\/api\/\* -> hello \((route_\w+)\)\.\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    routeId = m[1];
    const list = await p.cli(['route', 'list']);
    assert.match(list.stdout, new RegExp(`^ID +PATTERN +WORKER\n${routeId} +example\\.com/api/\\* +hello\n$`));
    assert.equal(JSON.parse((await p.cli(['route', 'list', '--json'])).stdout).routes[0].zone_id, zoneId);
    assert.equal((await p.cli(['route', 'delete', routeId])).stdout, `Deleted route ${routeId}.\n`);
    assert.equal((await p.cli(['route', 'list'])).stdout, 'no routes (create one with atoll route create PATTERN --worker NAME)\n');
  });

  test('atoll zone delete: removes the zone and its routes', async () => {
    await p.cli(['route', 'create', 'example.com/*', '--worker', 'hello']);
    const r = await p.cli(['zone', 'delete', zoneId]);
    assert.equal(r.stdout, `Deleted zone ${zoneId} and its routes.\n`);
    assert.equal((await p.cli(['zone', 'list'])).stdout, 'no zones (create one with atoll zone create HOSTNAME --origin URL)\n');
    assert.equal(JSON.parse((await p.cli(['route', 'list', '--json'])).stdout).routes.length, 0);
  });

  const cases: [string[], string, RegExp, number?][] = [
    [['zone', 'create', 'example.org'], 'zone create', /required option '--origin <url>' not specified/, 2],
    [['zone', 'create', 'example.org', '--origin', 'ftp://x'], 'zone create', /"ftp:\/\/x" is not an http: or https: URL/, 2],
    [['zone', 'create', 'not a host', '--origin', 'http://o.example'], 'zone create', /"not a host" is not a hostname/],
    [['zone', 'delete', 'zone_nope'], 'zone delete', /zone "zone_nope"/],
    [['route', 'create', 'example.org/*'], 'route create', /required option '--worker <name>' not specified/, 2],
    [['route', 'create', 'nowhere.example/*', '--worker', 'hello'], 'route create', /route pattern "nowhere\.example\/\*" lies in none of this account's zones/],
    [['route', 'create', 'example.org/*', '--worker', 'ghost'], 'route create', /worker "ghost"/],
    [['route', 'delete', 'route_nope'], 'route delete', /route "route_nope"/],
    [['route', 'list', '--format', 'x'], 'route list', /unknown option '--format'/, 2],
  ];
  for (const [args, command, pattern, code] of cases) {
    test(`atoll ${args.join(' ')}: one-line reason, exit ${code ?? 1}`, async () => {
      assertFails(await p.cli(args), command, pattern, code ?? 1);
    });
  }

  test('atoll zone list: server down: names the URL', async () => {
    assertFails(await p.cli(['zone', 'list'], { env: { ATOLL_API_URL: await deadUrl(), ATOLL_API_TOKEN: p.h.token } }), 'zone list', /cannot reach the atoll API/);
  });
});

describe('atoll secrets-key', () => {
  test('atoll secrets-key status, rotate, drop: a new key, secrets re-encrypted, the old key dropped', async () => {
    await p.cli(['secret', 'put', 'ROTATED', '--name', 'hello'], { stdin: 'kept-across-rotation' });
    const before = JSON.parse((await p.cli(['secrets-key', 'status', '--json'])).stdout);
    const status = await p.cli(['secrets-key', 'status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`^KEY +CURRENT +SECRETS\\n${before.current} +yes +\\d+\\n`));
    const rotated = await p.cli(['secrets-key', 'rotate']);
    assert.equal(rotated.code, 0, rotated.stderr);
    const after = JSON.parse((await p.cli(['secrets-key', 'status', '--json'])).stdout);
    assert.notEqual(after.current, before.current);
    assert.match(rotated.stdout, new RegExp(`^Current key ${after.current}; re-encrypted \\d+ secret\\(s\\)\\. Retired keys no secret uses now: ${before.current} `));
    const dropped = await p.cli(['secrets-key', 'drop', before.current]);
    assert.equal(dropped.stdout, `Dropped secrets key ${before.current}.\n`);
    assert.deepEqual(JSON.parse((await p.cli(['secrets-key', 'status', '--json'])).stdout).keys.map((k: any) => k.id), [after.current]);
  });

  test('atoll secrets-key drop: the current key is refused with the reason', async () => {
    const { current } = JSON.parse((await p.cli(['secrets-key', 'status', '--json'])).stdout);
    assertFails(await p.cli(['secrets-key', 'drop', current]), 'secrets-key drop', /current key; rotate to a new one first/);
    assertFails(await p.cli(['secrets-key', 'drop', 'nope']), 'secrets-key drop', /16 hex digits/);
  });
});
