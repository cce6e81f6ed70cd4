// atoll deploy, versions, rollback and deployments status end to end: the embedded
// platform (control API and one edge location, started in this process with the
// platform's own startEmbedded) on ephemeral ports, the real CLI as a child process, and
// requests to the edge that show which version serves.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEmbedded, type Embedded } from '../../src/edge/embedded.ts';
import { FIXTURES, type CliResult } from '../dev/spawn-cli.ts';
import { assertFails, deadUrl, runAtoll, type RunOptions } from './platform-harness.ts';

let up: Embedded;
/** The platform's error log lines, shown when the edge does not serve what a test expects. */
const errors: string[] = [];
let root: string;
let token: string;
let n = 0;
const env = () => ({ ATOLL_CONFIG_DIR: join(root, 'config') });
const cli = (args: string[], o: RunOptions = {}) => runAtoll(args, { ...o, env: { ...env(), ...o.env } });

function project(files: Record<string, string>): string {
  const dir = join(root, `project-${n++}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

/** GET http://HOST/PATH at the edge; resolves with the status and body. */
function edge(host: string, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: up.edge.port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Polls the edge until `body` serves (a deploy reaches the edge through a store watch). */
async function served(host: string, expect: RegExp): Promise<string> {
  let last = '';
  for (let i = 0; i < 100; i++) {
    last = (await edge(host)).body;
    if (expect.test(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`the edge never served ${expect} for ${host}; last: ${last}\nerrors: ${errors.join('\n')}`);
}

const WORKER = (text: string) => `
import note from './note.txt';
interface Env { GREETING: string; CONFIG: { answer: number }; STORE: KVNamespace }
export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    await env.STORE.put('seen', 'yes');
    return new Response(\`${text} \${env.GREETING} \${env.CONFIG.answer} \${note.trim()} \${await env.STORE.get('seen')}\`);
  },
};
`;

let kvId: string;
let dir: string;
const versionOf = (r: CliResult) => /version (ver_\w+) is serving 100%/.exec(r.stdout)?.[1];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'atoll-deploy-'));
  up = await startEmbedded({ dataDir: join(root, 'data'), ip: '127.0.0.1', edgePort: 0, apiPort: 0, location: 'test', log: (f) => { if (f.level === 'error') errors.push(JSON.stringify(f)); } });
  token = up.token!;
  const login = await cli(['login', '--url', up.api.url], { stdin: token });
  assert.equal(login.code, 0, login.stderr);
  const ns = await cli(['kv', 'namespace', 'create', 'shop-store', '--json']);
  kvId = JSON.parse(ns.stdout).namespace.id;
  const zone = await cli(['zone', 'create', 'shop.example.com', '--origin', 'http://127.0.0.1:9']);
  assert.equal(zone.code, 0, zone.stderr);
  const auth = project({ 'index.js': 'export default { fetch() { return new Response("authed"); } };' });
  const a = await cli(['deploy', 'index.js', '--name', 'auth', '--compatibility-date', '2026-01-01'], { cwd: auth });
  assert.equal(a.code, 0, a.stderr);
  dir = project({
    'wrangler.toml': [
      'name = "shop"', 'main = "src/index.ts"', 'compatibility_date = "2026-01-01"',
      'routes = ["shop.example.com/*", { pattern = "shop.example.com/api/*", zone_name = "example.com" }]',
      `kv_namespaces = [{ binding = "STORE", id = "${kvId}", preview_id = "local-store" }]`,
      '[vars]', 'GREETING = "hi"', 'CONFIG = { answer = 42 }',
      '[limits]', 'cpu_ms = 2000',
      '[triggers]', 'crons = ["*/5 * * * *"]',
    ].join('\n'),
    'src/index.ts': WORKER('v1'),
    'src/note.txt': 'from a text module\n',
  });
});
after(async () => {
  await up?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('atoll deploy', () => {
  let v1: string;
  let v2: string;

  test('atoll deploy: a wrangler.toml project: bundles, uploads, activates, binds routes, and the edge serves it', async () => {
    const r = await cli(['deploy', '-m', 'first'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    v1 = versionOf(r)!;
    assert.ok(v1, r.stdout);
    assert.match(r.stdout, /^Deployed shop: version ver_\w+ is serving 100% \(deployment dep_\w+\)\.\nServing at 1 edge node: test\/embedded\nRoutes:\n {2}shop\.example\.com\/\*\n {2}shop\.example\.com\/api\/\*\nSchedules:\n {2}\*\/5 \* \* \* \*\n$/);
    const steps = r.stderr.split('\n');
    assert.match(steps[0], /^Bundling src\/index\.ts\.\.\.$/);
    assert.match(steps[1], /^Bundled 2 modules \([\d.]+ KiB, ES modules\) in \d+ ms$/);
    assert.deepEqual(steps.slice(2, 6), ['Uploading shop...', `Uploaded version ${v1}`, `Activating ${v1}...`, 'Waiting for the edge locations...']);
    assert.doesNotMatch(r.stderr, /Warning/);
    assert.deepEqual((await fetchJson('/api/v1/workers/shop/schedules')).body.crons, ['*/5 * * * *']);
    assert.equal(await served('shop.example.com', /^v1/), 'v1 hi 42 from a text module yes');
  });

  test('atoll deploy: the version holds the config\'s bindings, limits and message', async () => {
    const { body } = await fetchJson(`/api/v1/workers/shop/versions/${v1}`);
    const v = body.version;
    assert.equal(v.message, 'first');
    assert.deepEqual(v.limits, { cpu_ms: 2000 });
    assert.deepEqual(v.bindings, [
      { type: 'plain_text', name: 'GREETING', text: 'hi' },
      { type: 'json', name: 'CONFIG', json: { answer: 42 } },
      { type: 'kv_namespace', name: 'STORE', namespace_id: kvId },
    ]);
    assert.equal(v.modules.length, 2);
    const routes = (await fetchJson('/api/v1/routes')).body.routes.filter((x: any) => x.worker === 'shop').map((x: any) => x.pattern).sort();
    assert.deepEqual(routes, ['shop.example.com/*', 'shop.example.com/api/*']);
  });

  test('atoll deploy: a redeploy: a new version serves, the routes stay as they are', async () => {
    writeFileSync(join(dir, 'src/index.ts'), WORKER('v2'));
    const r = await cli(['deploy', '--json', '-m', 'second'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    v2 = out.version.id;
    assert.notEqual(v2, v1);
    assert.deepEqual(out.deployment.versions, [{ version_id: v2, percentage: 100 }]);
    assert.deepEqual(out.routes, ['shop.example.com/*', 'shop.example.com/api/*']);
    await served('shop.example.com', /^v2 /);
  });

  test('atoll deploy: services: become service bindings of the version, with wrangler\'s environment suffix', async () => {
    const d = project({
      'wrangler.toml': 'name = "front"\nmain = "index.js"\ncompatibility_date = "2026-01-01"\nservices = [{ binding = "AUTH", service = "auth" }]\n[env.staging]\nservices = [{ binding = "AUTH", service = "auth", environment = "staging" }]\n',
      'index.js': 'export default { fetch(r, env) { return env.AUTH.fetch(r); } };',
    });
    const r = await cli(['deploy', '--json'], { cwd: d });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).version.bindings, [{ type: 'service', name: 'AUTH', service: 'auth' }]);
    const staging = await cli(['deploy', '--env', 'staging'], { cwd: d });
    assertFails(staging, 'deploy', /"auth-staging"/);
  });

  test('atoll deploy: a service-worker script: one classic script with its imports inlined, served at the edge', async () => {
    const r = await cli(['deploy', '--name', 'sw', '--compatibility-date', '2026-01-01'], { cwd: join(FIXTURES, 'service-worker') });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Bundled 1 module \([\d.]+ KiB, service worker\)/m);
    const route = await cli(['route', 'create', 'shop.example.com/sw', '--worker', 'sw']);
    assert.equal(route.code, 0, route.stderr);
    assert.equal((await edge('shop.example.com', '/sw')).body, 'howdy from a service worker; inlined text; 2+2=4');
  });

  test('atoll versions list: newest first, with the share each serves', async () => {
    const r = await cli(['versions', 'list'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^VERSION +CREATED +TRAFFIC +MESSAGE$/);
    assert.match(lines[1], new RegExp(`^${v2} +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\dZ +100% +second$`));
    assert.match(lines[2], new RegExp(`^${v1} +.+ +- +first$`));
    const json = JSON.parse((await cli(['versions', 'list', '--name', 'shop', '--json'])).stdout);
    assert.deepEqual(json.versions.map((v: any) => v.id), [v2, v1]);
  });

  test('atoll versions view: the version\'s settings, bindings and modules', async () => {
    const r = await cli(['versions', 'view', v1, '--name', 'shop']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Version: +${v1}$`, 'm'));
    assert.match(r.stdout, /^Message: +first$/m);
    assert.match(r.stdout, /^Format: +ES modules, main index\.js$/m);
    assert.match(r.stdout, /^Limits: +cpu_ms 2000$/m);
    assert.match(r.stdout, /^Bindings:\n {2}GREETING: text "hi"\n {2}CONFIG: JSON \{"answer":42\}\n {2}STORE: KV namespace kvn_\w+$/m);
    assert.match(r.stdout, /^Modules:\n {2}index\.js \(esm, \d+ bytes\)\n {2}[\w-]+note\.txt \(text, 19 bytes\)$/m);
  });

  test('atoll rollback: no version: goes back to the previous deployment, and the edge serves it', async () => {
    const r = await cli(['rollback'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^Rolled back shop: now serving ${v1} \\(100%\\) \\(deployment dep_\\w+\\)\\.$`, 'm'));
    await served('shop.example.com', /^v1 /);
  });

  test('atoll deployments status: the current deployment, its message and split', async () => {
    const r = await cli(['deployments', 'status'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Worker: +shop\nDeployment: dep_\w+, \d{4}-.+Z by token tok_\w+\nMessage: +rollback\nVersions:\n {2}100% {2}ver_\w+\n$/);
    assert.ok(r.stdout.includes(v1));
    const json = JSON.parse((await cli(['deployments', 'status', '--json'], { cwd: dir })).stdout);
    assert.deepEqual(json.deployment.versions, [{ version_id: v1, percentage: 100 }]);
  });

  test('atoll rollback: VERSION --message: that version, with the reason kept', async () => {
    const r = await cli(['rollback', v2, '--name', 'shop', '--message', 'v2 was fine', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.deployment.message, 'v2 was fine');
    assert.deepEqual(out.deployment.versions, [{ version_id: v2, percentage: 100 }]);
    await served('shop.example.com', /^v2 /);
  });
});

async function fetchJson(path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(up.api.url + path, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json() };
}

describe('atoll deploy: bad input', () => {
  test('atoll deploy: code that does not build: file:line:col and the code frame, nothing uploaded', async () => {
    const d = project({ 'wrangler.toml': 'name = "broken"\nmain = "index.js"\ncompatibility_date = "2026-01-01"\n', 'index.js': 'export default {\n  fetch() { return new Response("x" +); }\n};\n' });
    const r = await cli(['deploy'], { cwd: d });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^atoll deploy: index\.js:2:\d+: error: Unexpected "\)"\n +fetch\(\) \{ return new Response\("x" \+\); \}\n +\^$/m);
    assert.equal((await fetchJson('/api/v1/workers/broken')).status, 404);
  });

  test('atoll deploy: no name: says where to put one', async () => {
    const d = project({ 'wrangler.toml': 'main = "index.js"\ncompatibility_date = "2026-01-01"\n', 'index.js': 'export default {};' });
    assertFails(await cli(['deploy'], { cwd: d }), 'deploy', /wrangler\.toml has no "name": add name = "my-worker" or pass --name$/);
  });

  test('atoll deploy: no compatibility date: says how to add one', async () => {
    const d = project({ 'wrangler.toml': 'name = "w"\nmain = "index.js"\n', 'index.js': 'export default {};' });
    assertFails(await cli(['deploy'], { cwd: d }), 'deploy', /no compatibility date: add compatibility_date = "YYYY-MM-DD" to wrangler\.toml or pass --compatibility-date$/);
  });

  test('atoll deploy: no entry point: says what to pass', async () => {
    const d = project({ 'wrangler.toml': 'name = "w"\ncompatibility_date = "2026-01-01"\n' });
    assertFails(await cli(['deploy'], { cwd: d }), 'deploy', /no entry point: pass one \(atoll deploy src\/index\.js\) or set "main" in wrangler\.toml$/);
  });

  test('atoll deploy: a KV binding with only a preview_id: says to create a namespace', async () => {
    const d = project({ 'wrangler.toml': 'name = "w"\nmain = "index.js"\ncompatibility_date = "2026-01-01"\nkv_namespaces = [{ binding = "KV", preview_id = "dev" }]\n', 'index.js': 'export default {};' });
    assertFails(await cli(['deploy'], { cwd: d }), 'deploy', /wrangler\.toml: KV binding "KV" has no "id": create a namespace with atoll kv namespace create TITLE/);
  });

  test('atoll deploy: a KV id of no namespace: the API\'s reason, nothing deployed', async () => {
    const d = project({ 'wrangler.toml': 'name = "ghost-kv"\nmain = "index.js"\ncompatibility_date = "2026-01-01"\nkv_namespaces = [{ binding = "KV", id = "kvn_nope" }]\n', 'index.js': 'export default {};' });
    assertFails(await cli(['deploy'], { cwd: d }), 'deploy', /kvn_nope/);
    assert.equal((await fetchJson('/api/v1/workers/ghost-kv')).status, 404);
  });

  test('atoll deploy: a route outside every zone: refused before anything is uploaded', async () => {
    const d = project({ 'wrangler.toml': 'name = "nozone"\nmain = "index.js"\ncompatibility_date = "2026-01-01"\nroutes = ["elsewhere.example.org/*"]\n', 'index.js': 'export default {};' });
    assertFails(await cli(['deploy'], { cwd: d }), 'deploy', /route "elsewhere\.example\.org\/\*" lies in none of this account's zones: create its zone first \(atoll zone create HOSTNAME --origin URL\)$/);
    assert.equal((await fetchJson('/api/v1/workers/nozone')).status, 404);
  });

  test('atoll deploy: a route that another worker holds: names the worker and the fix', async () => {
    const d = project({ 'wrangler.toml': 'name = "thief"\nmain = "index.js"\ncompatibility_date = "2026-01-01"\nroute = "shop.example.com/*"\n', 'index.js': 'export default {};' });
    assertFails(await cli(['deploy'], { cwd: d }), 'deploy', /route "shop\.example\.com\/\*" already sends requests to worker "shop": delete it first \(atoll route delete route_\w+\) or change the pattern$/);
  });

  test('atoll deploy: a custom_domain route: says what to use instead', async () => {
    const d = project({ 'wrangler.toml': 'name = "w"\nmain = "index.js"\ncompatibility_date = "2026-01-01"\nroutes = [{ pattern = "shop.example.com", custom_domain = true }]\n', 'index.js': 'export default {};' });
    assertFails(await cli(['deploy'], { cwd: d }), 'deploy', /is a custom_domain, which atoll does not have/);
  });

  test('atoll deploy: a worker name the API refuses: the API\'s reason', async () => {
    const d = project({ 'index.js': 'export default { fetch() { return new Response("x"); } };' });
    assertFails(await cli(['deploy', 'index.js', '--name', 'Bad Name', '--compatibility-date', '2026-01-01'], { cwd: d }), 'deploy', /worker name "Bad Name" is not valid; use 1 to 63 lower-case letters/);
  });

  test('atoll deploy: a bad config value: names the file and key', async () => {
    const d = project({ 'wrangler.toml': 'name = "w"\nmain = "index.js"\ncompatibility_date = "2026-01-01"\n[triggers]\ncrons = "hourly"\n', 'index.js': 'export default {};' });
    const r = await cli(['deploy'], { cwd: d });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /wrangler\.toml: "triggers\.crons" must be a list/);
  });

  test('atoll deploy: a bad cron in triggers.crons: names the file, the expression and the field, before any upload', async () => {
    const d = project({ 'wrangler.toml': 'name = "cronbad"\nmain = "index.js"\ncompatibility_date = "2026-01-01"\n[triggers]\ncrons = ["61 * * * *"]\n', 'index.js': 'export default {};' });
    assertFails(await cli(['deploy'], { cwd: d }), 'deploy', /wrangler\.toml: triggers\.crons: cron "61 \* \* \* \*": the minute field has 61, out of range/);
    assert.equal((await fetchJson('/api/v1/workers/cronbad')).status, 404, 'nothing was uploaded');
  });

  test('atoll deploy: both route and routes: names the keys', async () => {
    const d = project({ 'wrangler.toml': 'name = "w"\nmain = "index.js"\ncompatibility_date = "2026-01-01"\nroute = "a.example.com/*"\nroutes = ["b.example.com/*"]\n', 'index.js': 'export default {};' });
    assertFails(await cli(['deploy'], { cwd: d }), 'deploy', /wrangler\.toml: "route" and "routes" are both set: keep one \(routes takes a list\)\.$/);
  });

  test('atoll deploy: a service binding to a named entrypoint: says atoll binds the default export', async () => {
    const d = project({ 'wrangler.toml': 'name = "w"\nmain = "index.js"\ncompatibility_date = "2026-01-01"\nservices = [{ binding = "A", service = "auth", entrypoint = "Admin" }]\n', 'index.js': 'export default {};' });
    assertFails(await cli(['deploy'], { cwd: d }), 'deploy', /wrangler\.toml: "services\[0\]\.entrypoint" names a named entrypoint, which atoll does not offer/);
  });

  test('atoll deploy: not logged in: says to log in', async () => {
    const d = project({ 'index.js': 'export default {};' });
    const r = await runAtoll(['deploy', 'index.js', '--name', 'w', '--compatibility-date', '2026-01-01'], { cwd: d, env: { ATOLL_CONFIG_DIR: join(root, 'nobody') } });
    assertFails(r, 'deploy', /not logged in: run `atoll login --url URL`/);
  });

  test('atoll deploy: server down: names the URL', async () => {
    const d = project({ 'index.js': 'export default {};' });
    const r = await runAtoll(['deploy', 'index.js', '--name', 'w', '--compatibility-date', '2026-01-01'], { cwd: d, env: { ATOLL_API_URL: await deadUrl(), ATOLL_API_TOKEN: token } });
    assertFails(r, 'deploy', /cannot reach the atoll API at http:\/\/127\.0\.0\.1:\d+/);
  });

  test('atoll deploy: a token without workers:write: the API names the scope', async () => {
    const made = await fetch(`${up.api.url}/api/v1/tokens`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'reader', scopes: ['workers:read'] }) });
    const reader = ((await made.json()) as { token: string }).token;
    const d = project({ 'index.js': 'export default {};' });
    const r = await runAtoll(['deploy', 'index.js', '--name', 'w', '--compatibility-date', '2026-01-01'], { cwd: d, env: { ATOLL_API_URL: up.api.url, ATOLL_API_TOKEN: reader } });
    assertFails(r, 'deploy', /this call needs the "workers:write" scope/);
  });

  test('atoll versions view: an unknown version: the API\'s reason', async () => {
    assertFails(await cli(['versions', 'view', 'ver_nope', '--name', 'shop']), 'versions view', /version "ver_nope" of worker "shop"/);
  });

  test('atoll versions list: no name and no config: says what to pass', async () => {
    assertFails(await cli(['versions', 'list'], { cwd: project({ 'x.txt': '' }) }), 'versions list', /no worker named: pass --name WORKER/);
  });

  test('atoll rollback: a worker with one deployment: the API\'s reason', async () => {
    assertFails(await cli(['rollback', '--name', 'auth']), 'rollback', /auth|previous|earlier/);
  });

  test('atoll deployments status: an unknown worker: the API\'s reason', async () => {
    assertFails(await cli(['deployments', 'status', '--name', 'nope']), 'deployments status', /worker "nope"/);
  });

  test('atoll versions view: no VERSION: a usage error, exit 2', async () => {
    assertFails(await cli(['versions', 'view']), 'versions view', /missing required argument 'version'/, 2);
  });
});
