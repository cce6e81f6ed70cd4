// Every example deploys with `atoll deploy` to the embedded platform `atoll up` runs
// (control API and one edge, in this process) and answers through the edge. The deploy
// command runs in this process too (the CLI's own runProgram with its commands, as
// bin/atoll.js runs them), as a process per example cost 3-10 s on a loaded machine;
// test/cli/platform-deploy.test.ts covers the command as a process. Each folder
// under examples/ with a wrangler.toml is picked up. The deploy reads a copy of the
// example whose config differs only where a test must: third parties' URLs in [vars]
// point at a local stand-in, KV bindings at namespaces made here, no routes (the test
// makes its own zone and route per example), and a CPU limit of at least 1,000 ms.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse, stringify } from 'smol-toml';
import { startEmbedded, type Embedded } from '../../src/edge/embedded.ts';
import { PLATFORM_COMMANDS, PLATFORM_GROUPS } from '../../src/cli/commands/platform-commands.ts';
import { runProgram } from '../../src/cli/program.ts';
import { EXAMPLES, ROOT, startFake, WAIT_MS, type FakeService } from './harness.ts';

const examples = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(EXAMPLES, d.name, 'wrangler.toml')))
  .map((d) => d.name)
  .sort();

interface EdgeAnswer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

// What a user would see first of each example deployed with its stand-ins; folders not
// listed here get the general check only (the worker ran and answered without an error).
// `again` checks a second request for the same path.
const FIRST_LOOK: Record<string, { path?: string; check(r: EdgeAnswer): void; again?(r: EdgeAnswer): void }> = {
  'security-headers': { check: (r) => { assert.equal(r.status, 200); assert.equal(r.headers['x-content-type-options'], 'nosniff'); assert.equal(r.headers['x-powered-by'], undefined); } },
  'pwned-passwords': { check: (r) => { assert.equal(r.status, 200); assert.match(r.body, /stand-in/); } },
  'jwt-auth': { check: (r) => { assert.equal(r.status, 401); assert.match(String(r.headers['www-authenticate']), /^Bearer realm=/); } },
  'race-backends': { path: '/tiles/1/2/3.png', check: (r) => { assert.equal(r.status, 200); assert.ok(r.headers['x-tile-backend']); } },
  'leak-detector': { check: (r) => { assert.equal(r.status, 200); assert.match(r.body, /stand-in/); } },
  'geo-localize': {
    check: (r) => { assert.equal(r.status, 200); assert.equal(r.headers['x-page-language'], 'en'); },
    // The edge's own cache this time, not atoll dev's.
    again: (r) => { assert.equal(r.status, 200); assert.equal(r.headers['x-edge-cache'], 'HIT'); },
  },
  'edge-side-includes': { check: (r) => { assert.equal(r.status, 200); assert.match(r.body, /<p>fragment \/frag<\/p>/); } },
  'lava-millions': { check: (r) => { assert.equal(r.status, 200); assert.match(r.body, /Mega Ball: <b>\d+<\/b>/); } },
  'pdf-generate': { check: (r) => { assert.equal(r.status, 200); assert.equal(r.headers['content-type'], 'application/pdf'); assert.ok(r.body.startsWith('%PDF-')); } },
  'pdf-watermark': { check: (r) => { assert.equal(r.status, 401); assert.equal(r.headers['www-authenticate'], 'Bearer realm="books"'); } },
  'sign-binary': { path: '/downloads/tool.bin', check: (r) => { assert.equal(r.status, 401); assert.equal(r.headers['www-authenticate'], 'Bearer realm="downloads"'); } },
  'ab-test': { check: (r) => { assert.equal(r.status, 200); assert.match(String(r.headers['set-cookie']), /^ab-home=[ab];/); } },
  'kv-site': { path: '/api/flags', check: (r) => { assert.equal(r.status, 200); assert.equal(r.body, '{}'); } },
  // Both WebAssembly modules are instantiated at the top level: an answer means they loaded.
  wasm: { path: '/crc32', check: (r) => { assert.equal(r.status, 405); assert.equal(r.headers.allow, 'POST'); } },
  'hono-app': { path: '/api/health', check: (r) => { assert.equal(r.status, 200); assert.equal(r.body, '{"ok":true}'); assert.ok(r.headers['x-request-id']); } },
  'itty-router-app': { path: '/api/health', check: (r) => { assert.equal(r.status, 200); assert.equal(r.body, '{"ok":true}'); assert.ok(r.headers['x-request-id']); } },
  // The stand-in's page has no <head> or <body> for the banner and script to go into.
  'html-rewriter': { check: (r) => { assert.equal(r.status, 200); assert.match(r.body, /^<!doctype html><p>Hello from the stand-in\.<\/p>/); } },
  'drone-coordination': { path: '/dogs/rex', check: (r) => { assert.equal(r.status, 404); assert.match(r.body, /no recent position for rex/); } },
};

let up: Embedded;
let root: string;
let standIn: FakeService;
const logs: Record<string, any>[] = [];

async function api(method: string, path: string, json?: unknown): Promise<any> {
  const res = await fetch(up.api.url + path, {
    method, headers: { authorization: `Bearer ${up.token}`, 'content-type': 'application/json' },
    body: json === undefined ? undefined : JSON.stringify(json), signal: AbortSignal.timeout(WAIT_MS),
  });
  const body = await res.json();
  assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

function edge(host: string, path: string): Promise<EdgeAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: up.edge.port, path, headers: { host }, timeout: WAIT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Runs `atoll ARGS` in this process against the platform (ATOLL_API_URL and
 * ATOLL_API_TOKEN, set in before()). The commands write their results and progress
 * straight to process.stdout and process.stderr: text written there meanwhile is
 * collected (the test runner's own reports are bytes, and pass on).
 */
async function atoll(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const originals = { stdout: process.stdout.write, stderr: process.stderr.write };
  for (const name of ['stdout', 'stderr'] as const) {
    const original = originals[name];
    process[name].write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== 'string') return (original as (...a: unknown[]) => boolean).call(process[name], chunk, ...rest);
      out[name] += chunk;
      return true;
    }) as typeof process.stdout.write;
  }
  try {
    const code = await runProgram(PLATFORM_COMMANDS, args, {
      version: 'test', stdout: (t) => { out.stdout += t; }, stderr: (t) => { out.stderr += t; },
    }, PLATFORM_GROUPS).catch((err: Error) => { out.stderr += err.message; return 1; });
    return { code, ...out };
  } finally {
    process.stdout.write = originals.stdout;
    process.stderr.write = originals.stderr;
  }
}

/**
 * A copy of the example to deploy, in the test's temp folder (beside a link to the
 * project's node_modules, so its packages resolve as in examples/), with its
 * wrangler.toml changed only as the header says. Paths in the config stay valid.
 */
async function deployCopy(name: string): Promise<string> {
  const dir = join(root, 'projects', name);
  cpSync(join(EXAMPLES, name), dir, { recursive: true, filter: (src) => !/[\\/]\.atoll$/.test(src) });
  // An example with a build step (examples/wasm assembles its .wat) is built first, as its README says.
  if (existsSync(join(dir, 'build.mjs'))) execFileSync(process.execPath, [join(dir, 'build.mjs')], { stdio: 'pipe' });
  const file = join(dir, 'wrangler.toml');
  const config = parse(readFileSync(file, 'utf8')) as Record<string, any>;
  for (const [key, value] of Object.entries((config.vars ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string' && /^https?:\/\//.test(value)) config.vars[key] = `${standIn.url}/${name}/${key.toLowerCase()}`;
  }
  for (const ns of (config.kv_namespaces ?? []) as { binding: string; id?: string; preview_id?: string }[]) {
    const made = await api('POST', '/api/v1/kv/namespaces', { title: `${name}-${ns.binding}` });
    ns.id = made.namespace?.id ?? made.id;
    delete ns.preview_id;
  }
  delete config.route;
  delete config.routes;
  // As in the harness: these tests check behaviour, not the CPU budget, and a cold
  // isolate compiling a big bundle on a loaded 2-core machine can pass 50 ms.
  config.limits = { ...config.limits, cpu_ms: Math.max(Number(config.limits?.cpu_ms ?? 0), 1000) };
  writeFileSync(file, stringify(config));
  return file;
}

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'atoll-examples-deploy-'));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  // One stand-in for every third party: an origin page with an ESI tag, a fragment, bytes.
  standIn = await startFake((req, res) => {
    if (req.url.startsWith('/frag')) {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<p>fragment ${req.url}</p>`);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'x-powered-by': 'stand-in' });
    res.end('<!doctype html><p>Hello from the stand-in.</p><esi:include src="/frag"/> 0123456789abcdefghijklmnopqrstuvwxyz');
  });
  up = await startEmbedded({
    dataDir: join(root, 'data'), ip: '127.0.0.1', edgePort: 0, apiPort: 0, location: 'TST',
    allowPrivateFetch: true, log: (f) => logs.push(f),
  });
  // What `atoll deploy` reads; nothing of the user's own CLI config is used.
  Object.assign(process.env, { ATOLL_API_URL: up.api.url, ATOLL_API_TOKEN: up.token!, ATOLL_CONFIG_DIR: join(root, 'config') });
});

after(async () => {
  await up?.close();
  await standIn?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('examples: atoll deploy to atoll up, then requests through the edge', () => {
  test('every example folder is found', () => {
    for (const name of Object.keys(FIRST_LOOK)) assert.ok(examples.includes(name), `examples/${name} is missing`);
  });

  for (const name of examples) {
    test(`examples/${name}`, async () => {
      const host = `${name}.examples.test`;
      await api('POST', '/api/v1/zones', { hostname: host, origin: standIn.url });
      const config = await deployCopy(name);
      const r = await atoll(['deploy', '-c', config, '-m', 'example test']);
      assert.equal(r.code, 0, `atoll deploy failed:\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, new RegExp(`Deployed ${name}: version ver_\\w+ is serving 100%`));
      await api('POST', '/api/v1/routes', { pattern: `${host}/*`, worker: name });

      // The route reaches the edge through a store watch: ask until the worker answers.
      const path = FIRST_LOOK[name]?.path ?? '/';
      const deadline = Date.now() + WAIT_MS;
      let answer: EdgeAnswer;
      let line: Record<string, any> | undefined;
      for (;;) {
        const seen = logs.length;
        answer = await edge(host, path);
        line = logs.slice(seen).find((l) => l.msg === 'request' && l.host === host && l.worker === name);
        if (line || Date.now() > deadline) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      assert.ok(line, `the worker never answered at the edge; last answer ${answer.status}: ${answer.body.slice(0, 300)}`);
      assert.equal(line.outcome, 'ok', `the worker failed: ${JSON.stringify(line)}\n${logs.filter((l) => l.level === 'error').map((l) => JSON.stringify(l)).join('\n')}`);
      assert.equal(answer.headers['atoll-error'], undefined, answer.body);
      assert.ok(answer.status < 500, `${answer.status}: ${answer.body.slice(0, 300)}`);
      FIRST_LOOK[name]?.check(answer);
      const again = FIRST_LOOK[name]?.again;
      // The edge logs a request once its waitUntil work (such as a cache put) is done,
      // so a second request now sees what the first one left.
      if (again) again(await edge(host, path));
    });
  }
});
