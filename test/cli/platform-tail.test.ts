// atoll tail end to end: the embedded platform (control API and one edge, startEmbedded
// in this process) on ephemeral ports, the real `atoll tail` as a long-running child
// process, and requests at the edge whose events must show up as its output lines.

import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEmbedded, type Embedded } from '../../src/edge/embedded.ts';
import { ROOT } from '../dev/spawn-cli.ts';
import { assertFails, deadUrl, runAtoll, type RunOptions } from './platform-harness.ts';

const LOGGER = `export default {
  async fetch(request) {
    const url = new URL(request.url);
    console.log('hit', request.method, url.pathname);
    if (url.pathname === '/boom') throw new Error('kaboom at ' + url.pathname);
    return new Response('ok ' + url.pathname);
  },
  scheduled(controller) {
    console.log('cron ran', controller.cron);
  },
};`;

let up: Embedded;
let root: string;
const env = () => ({ ATOLL_API_URL: up.api.url, ATOLL_API_TOKEN: up.token! });
const cli = (args: string[], o: RunOptions = {}) => runAtoll(args, { ...o, env: { ...env(), ...o.env } });

function edge(path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: up.edge.port, path, method, headers: { host: 'tail.test' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

interface Tail {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves when stdout holds a line matching `re`. */
  line(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Ctrl-C; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `atoll tail ARGS` and waits until it says the tail is open. */
async function startTail(args: string[]): Promise<Tail> {
  const child = spawn(process.execPath, ['--no-node-snapshot', join(ROOT, 'bin/atoll.js'), 'tail', ...args], {
    cwd: root, env: { ...process.env, NO_COLOR: '1', ...env() }, stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const wake = () => { for (const w of waiters) w(); };
  child.stdout.on('data', (d) => { out += d; wake(); });
  child.stderr.on('data', (d) => { err += d; wake(); });
  const exited = new Promise<number | null>((r) => child.on('close', (code) => { wake(); r(code); }));
  const until = async (check: () => boolean, what: string, timeoutMs = 15_000) => {
    const end = Date.now() + timeoutMs;
    while (!check()) {
      if (child.exitCode !== null) throw new Error(`atoll tail exited (${child.exitCode}) before ${what}; stderr: ${err}`);
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; stdout: ${out}\nstderr: ${err}`);
      await new Promise<void>((r) => { waiters.add(r); setTimeout(r, 100).unref(); }).finally(() => waiters.clear());
    }
  };
  const t: Tail = {
    child,
    stdout: () => out,
    stderr: () => err,
    async line(re, timeoutMs) {
      let found = '';
      await until(() => (found = out.split('\n').find((l) => re.test(l)) ?? '') !== '', `a line matching ${re}`, timeoutMs);
      return found;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
  tails.push(t);
  await until(() => /^Tailing /m.test(err), 'the tail to open');
  return t;
}
const tails: Tail[] = [];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'atoll-tail-'));
  up = await startEmbedded({ dataDir: join(root, 'data'), ip: '127.0.0.1', edgePort: 0, apiPort: 0, location: 'TLA', log: () => {} });
  const call = async (method: string, path: string, init: { json?: unknown; body?: FormData }) => {
    const res = await fetch(up.api.url + path, {
      method, body: init.body ?? JSON.stringify(init.json),
      headers: { authorization: `Bearer ${up.token}`, ...(init.json ? { 'content-type': 'application/json' } : {}) },
    });
    assert.ok(res.ok, `${method} ${path}: ${await res.clone().text()}`);
  };
  const form = new FormData();
  form.set('metadata', JSON.stringify({ main_module: 'index.js', compatibility_date: '2026-01-01' }));
  form.set('index.js', new Blob([LOGGER], { type: 'application/javascript+module' }), 'index.js');
  await call('PUT', '/api/v1/workers/logger', { body: form });
  await call('POST', '/api/v1/zones', { json: { hostname: 'tail.test', origin: 'http://127.0.0.1:9' } });
  await call('POST', '/api/v1/routes', { json: { pattern: 'tail.test/*', worker: 'logger' } });
  // The route reaches the edge through a store watch.
  for (let i = 0; i < 100 && (await edge('/warm')).body !== 'ok /warm'; i++) await new Promise((r) => setTimeout(r, 50));
});

after(async () => {
  for (const t of tails) await t.stop();
  await up?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('atoll tail', () => {
  test('atoll tail: a request at the edge shows up as a pretty line with its console.log text; Ctrl-C exits 0', async () => {
    const t = await startTail(['logger']);
    assert.match(t.stderr(), /^Tailing logger; waiting for requests and cron runs \(Ctrl-C to stop\)\.\.\.\n$/);
    assert.equal((await edge('/hello')).body, 'ok /hello');
    const head = await t.line(/^GET http:\/\/tail\.test\/hello 200/);
    assert.match(head, /^GET http:\/\/tail\.test\/hello 200 - Ok @ \d{4}-\d\d-\d\dT[\d:.]+Z \(TLA, cpu [\d.]+ ms, wall [\d.]+ ms\)$/);
    await t.line(/^ {2}\(log\) hit GET \/hello$/);
    assert.equal((await edge('/boom')).status, 500);
    await t.line(/^GET http:\/\/tail\.test\/boom 500 - Exception Thrown @ /);
    await t.line(/^ {2}✘ Error: kaboom at \/boom$/);
    assert.equal(await t.stop(), 0);
  });

  test('atoll tail: a cron run fired by atoll up\'s scheduler shows up with its console lines', async () => {
    const res = await fetch(`${up.api.url}/api/v1/workers/logger/schedules`, {
      method: 'PUT', headers: { authorization: `Bearer ${up.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ crons: ['0 * * * *'] }),
    });
    assert.equal(res.status, 200, await res.text());
    const t = await startTail(['logger']);
    await up.cron.scheduler.runMinute(Date.UTC(2026, 0, 1, 5, 0));
    await t.line(/^"0 \* \* \* \*" \(scheduled for 2026-01-01T05:00:00\.000Z\) - Ok @ \S+ \(TLA, cpu [\d.]+ ms, wall [\d.]+ ms\)$/);
    await t.line(/^ {2}\(log\) cron ran 0 \* \* \* \*$/);
    assert.equal(await t.stop(), 0);
  });

  test('atoll tail: --format json --status error --method POST: only matching events, one JSON object a line', async () => {
    const t = await startTail(['logger', '--format', 'json', '--status', 'error', '--method', 'post']);
    await edge('/boom');               // GET: filtered out by method
    await edge('/fine', 'POST');       // ok: filtered out by status
    await edge('/boom', 'POST');
    const line = await t.line(/^\{/);
    const e = JSON.parse(line);
    assert.deepEqual(e.request, { method: 'POST', url: 'http://tail.test/boom', status: 500 });
    assert.equal(e.outcome, 'exception');
    assert.deepEqual(e.logs.map((l: { message: string }) => l.message), ['hit POST /boom']);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(t.stdout().trim().split('\n').length, 1, t.stdout());
    assert.equal(await t.stop(), 0);
  });

  test('atoll tail: --search and --sampling-rate 1 pass what mentions the text', async () => {
    const t = await startTail(['logger', '--search', 'NEEDLE', '--sampling-rate', '1']);
    await edge('/hay');
    await edge('/needle');
    await t.line(/^GET http:\/\/tail\.test\/needle 200/);
    assert.doesNotMatch(t.stdout(), /hay/);
    assert.equal(await t.stop(), 0);
  });
});

describe('atoll tail: bad input', () => {
  test('atoll tail: bad flag values: a usage error naming the flag, exit 2', async () => {
    assertFails(await cli(['tail', 'logger', '--format', 'xml']), 'tail', /--format <format>' argument 'xml' is invalid\. "xml" is not one of pretty, json/, 2);
    assertFails(await cli(['tail', 'logger', '--status', 'okay']), 'tail', /"okay" is not one of ok, error, canceled/, 2);
    assertFails(await cli(['tail', 'logger', '--status', 'ok,']), 'tail', /"" is not one of ok, error, canceled/, 2);
    assertFails(await cli(['tail', 'logger', '--method', 'GE T']), 'tail', /"GE T" is not an HTTP method/, 2);
    for (const rate of ['0', '1.5', 'abc', '-1', '']) {
      assertFails(await cli(['tail', 'logger', '--sampling-rate', rate]), 'tail', /is not a sampling rate: use a number above 0 and at most 1/, 2);
    }
    assertFails(await cli(['tail', 'logger', '--search', '']), 'tail', /the search text must be 1 to 200 characters/, 2);
    assertFails(await cli(['tail', 'logger', '--bogus']), 'tail', /unknown option '--bogus'/, 2);
    assertFails(await cli(['tail', 'a', 'b']), 'tail', /too many arguments/i, 2);
  });

  test('atoll tail: a worker that does not exist, or a bad name: the API\'s reason, exit 1', async () => {
    assertFails(await cli(['tail', 'nope']), 'tail', /worker "nope" does not exist/);
    assertFails(await cli(['tail', 'Bad Name']), 'tail', /worker name "Bad Name" is not valid/);
  });

  test('atoll tail: no worker and no config; not logged in; API down; a token without logs:read: one line, exit 1', async () => {
    assertFails(await cli(['tail']), 'tail', /no worker named: pass one \(atoll tail WORKER\)/);
    assertFails(await runAtoll(['tail', 'logger'], { cwd: root, env: { ATOLL_CONFIG_DIR: join(root, 'nobody') } }), 'tail', /not logged in: run `atoll login --url URL`/);
    assertFails(await cli(['tail', 'logger'], { env: { ATOLL_API_URL: await deadUrl() } }), 'tail', /cannot reach the atoll API at http:\/\/127\.0\.0\.1:\d+/);
    const res = await fetch(`${up.api.url}/api/v1/tokens`, {
      method: 'POST', headers: { authorization: `Bearer ${up.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'reader', scopes: ['workers:read'] }),
    });
    const { token } = await res.json() as { token: string };
    assertFails(await cli(['tail', 'logger'], { env: { ATOLL_API_TOKEN: token } }), 'tail', /needs the "logs:read" scope/);
  });
});
