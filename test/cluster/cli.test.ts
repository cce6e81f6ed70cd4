// `atoll control` and `atoll edge` as real processes over a real nats-server, driven by
// the real CLI: `atoll deploy` waits until both edge locations serve the new version and
// names them; and the commands' bad input (missing --nats, a bad URL, no secrets key,
// NATS unreachable) are one-line errors naming the fix.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { createInterface } from 'node:readline';
import { runAtoll } from '../cli/platform-harness.ts';
import { ROOT } from '../dev/spawn-cli.ts';
import { eventually, startOrigin, type Origin } from '../edge/helpers.ts';
import { startNatsCluster, type NatsCluster } from '../helpers/nats.ts';

const KEY = randomBytes(32).toString('base64');
let nats: NatsCluster;
let origin: Origin;
let dir: string;
const children: ChildProcess[] = [];

interface Started { child: ChildProcess; lines: Record<string, unknown>[] }

/** Spawns `atoll ARGS` and resolves with its first JSON line whose msg is `ready`. */
function startAtoll(args: string[], ready: string): Promise<Started & { ready: Record<string, unknown> }> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('ATOLL_')) delete env[k];
  env.ATOLL_SECRETS_KEY = KEY;
  const child = spawn(process.execPath, ['--no-node-snapshot', join(ROOT, 'bin/atoll.js'), ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`atoll ${args[0]} did not log "${ready}" within 60 s: ${JSON.stringify(lines.slice(-5))}`)), 60_000);
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        let fields: Record<string, unknown>;
        try {
          fields = JSON.parse(line) as Record<string, unknown>;
        } catch {
          fields = { text: line };
        }
        lines.push(fields);
        if (fields.msg === ready) {
          clearTimeout(timer);
          resolve({ child, lines, ready: fields });
        }
      });
    }
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`atoll ${args[0]} exited with ${code}: ${JSON.stringify(lines.slice(-5))}`)); });
  });
}

/** GET / with a Host header (fetch would not let a test set it). */
function get(url: string, host: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host }, setHost: false }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

let api: string;
let token: string;
const edges: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'atoll-cluster-cli-'));
  nats = await startNatsCluster({ servers: 1 });
  origin = await startOrigin();
  const control = await startAtoll(['control', '--nats', nats.url, '--api-port', '0'], 'atoll control ready');
  api = String(control.ready.api);
  token = String(control.lines.find((l) => typeof l.token === 'string')?.token);
  for (const location of ['ams', 'fra']) {
    const edge = await startAtoll(['edge', '--nats', nats.url, '--location', location, '--port', '0', '--data', join(dir, location), '--allow-private-fetch'], 'atoll edge ready');
    edges.push(String(edge.ready.edge));
  }
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await nats?.stop();
  await origin?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('cluster CLI: atoll deploy against atoll control waits until both edge locations serve the version, and names them', async () => {
  const cli = (args: string[], options: { cwd?: string; stdin?: string } = {}) => runAtoll(args, { ...options, env: { ATOLL_CONFIG_DIR: join(dir, 'config') } });
  const login = await cli(['login', '--url', api], { stdin: `${token}\n` });
  assert.equal(login.code, 0, login.stderr);
  const zone = await cli(['zone', 'create', 'cli.test', '--origin', origin.url]);
  assert.equal(zone.code, 0, zone.stderr);
  // Both edges have reported before the deploy (so the wait covers both).
  await eventually(async () => {
    const res = await fetch(`${api}/api/v1/locations`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(((await res.json()) as { locations: unknown[] }).locations.length, 2);
  }, 60_000);
  const project = join(dir, 'project');
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'wrangler.toml'), 'name = "hello"\nmain = "src/index.js"\ncompatibility_date = "2026-01-01"\nroutes = ["cli.test/*"]\n');
  writeFileSync(join(project, 'src/index.js'), 'export default { fetch(req) { return new Response("from " + req.cf.colo); } };');
  const deploy = await cli(['deploy', '--wait-timeout', '60'], { cwd: project });
  assert.equal(deploy.code, 0, deploy.stderr);
  assert.match(deploy.stdout, /Serving at 2 edge nodes: ams\/\S+, fra\/\S+/);
  assert.match(deploy.stderr, /Waiting for the edge locations/);
  // It waited: both edges answer with the new version at once.
  for (const [i, url] of edges.entries()) {
    assert.equal((await get(url, 'cli.test')).text, `from ${['ams', 'fra'][i]}`);
  }
  // The requests at both edges (other processes) reach the control process's metrics.
  await eventually(async () => {
    const res = await fetch(`${api}/api/v1/workers/hello/metrics`, { headers: { authorization: `Bearer ${token}` } });
    const { metrics } = (await res.json()) as { metrics: { location: string; requests: number }[] };
    assert.deepEqual(metrics.map((m) => [m.location, m.requests >= 1]).sort(), [['ams', true], ['fra', true]]);
  }, 60_000);
});

test('cluster CLI: bad input to atoll edge and atoll control is a one-line error naming the fix', async () => {
  const run = (args: string[], env: Record<string, string> = {}) => runAtoll(args, { cwd: dir, env: { ATOLL_SECRETS_KEY: KEY, ...env } });
  const noNats = await run(['edge', '--location', 'ams', '--data', join(dir, 'x')]);
  assert.equal(noNats.code, 1);
  assert.match(noNats.stderr, /--nats is missing; pass it or set ATOLL_NATS/);
  const badUrl = await run(['edge', '--nats', 'http://x:1', '--location', 'ams']);
  assert.equal(badUrl.code, 2);
  assert.match(badUrl.stderr, /"http:\/\/x:1" is not a NATS URL: write nats:\/\/HOST:PORT/);
  const badEnv = await run(['control'], { ATOLL_NATS: ',' });
  assert.equal(badEnv.code, 1);
  assert.match(badEnv.stderr, /ATOLL_NATS=",": no NATS URL/);
  const noKey = await runAtoll(['control', '--nats', nats.url, '--data', join(dir, 'empty')], { cwd: dir });
  assert.equal(noKey.code, 1);
  assert.match(noKey.stderr, /no secrets key: set ATOLL_SECRETS_KEY .*openssl rand -base64 32/);
  const tlsHalf = await run(['edge', '--nats', nats.url, '--location', 'ams', '--data', join(dir, 'x'), '--tls-port', '0']);
  assert.equal(tlsHalf.code, 1);
  assert.match(tlsHalf.stderr, /^atoll edge: --tls-port asks for HTTPS, but no --tls-cert-dir .*give both, or neither\.\n$/);
  const badTrust = await run(['edge', '--nats', nats.url, '--location', 'ams', '--data', join(dir, 'x')], { ATOLL_TRUST_FORWARDED_FOR: 'maybe' });
  assert.equal(badTrust.code, 1);
  assert.match(badTrust.stderr, /ATOLL_TRUST_FORWARDED_FOR="maybe": "maybe" is neither true nor false/);
  const unreachable = await run(['control', '--nats', 'nats://127.0.0.1:1', '--api-port', '0']);
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /cannot reach NATS at nats:\/\/127\.0\.0\.1:1: .*start nats-server/);
  // The running cluster did not notice.
  assert.equal((await get(edges[0]!, 'cli.test')).status, 200);
});
