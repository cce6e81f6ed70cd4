// Faults at the edge and the control plane, with real processes (1 nats-server, `atoll
// control`, three `atoll edge`s): an edge killed with kill -9 under load does not trouble
// the others, and comes back from its local copy; with every control plane stopped the
// edges serve on and a deploy fails with an error that says why.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { routeHost, startCluster, startLoad, type Cluster } from './faults-cluster.ts';

const HOST = 'faults-edges.test';
const worker = (v: string) => `export default { fetch(req) { return new Response(${JSON.stringify(v)}); } };`;

let c: Cluster;
// Processes start slowly on a loaded 2-core machine: bounds far above the usual run.
const SLOW = { timeout: 300_000 };

before(async () => {
  c = await startCluster({ natsServers: 1, locations: ['ams', 'fra', 'sin'] });
  assert.equal((await c.deploy('site', worker('v1'))).status, 201);
  await routeHost(c, HOST, 'site');
  await c.waitServing(HOST, 'v1');
}, SLOW);
after(() => c?.close());

test('faults: an edge killed with kill -9 under load: the other edges answer every request', SLOW, async (t) => {
  const t0 = Date.now();
  const load = startLoad([1, 2].map((i) => ({ port: c.edges[i]!.port, host: HOST })), (b) => b === 'v1');
  await new Promise((r) => setTimeout(r, 1000));
  await c.edges[0]!.proc.signal('SIGKILL');
  await new Promise((r) => setTimeout(r, 2000));
  const result = await load.stop();
  assert.deepEqual(result.failures, [], 'no request to the other edges failed');
  assert.ok(result.ok > 20, `requests were served meanwhile (${result.ok})`);
  t.diagnostic(`${result.ok} requests served by the other edges around the kill`);
  await assert.rejects(c.get(0, HOST), /ECONNREFUSED/, 'the killed edge is gone');

  // A deploy while it is down; it comes back from its local copy and catches up.
  assert.equal((await c.deploy('site', worker('v2'))).status, 201);
  await c.waitServing(HOST, 'v2', [1, 2]);
  const t1 = Date.now();
  await c.restartEdge(0);
  const t2 = Date.now();
  await c.waitServing(HOST, 'v2', [0]);
  t.diagnostic(`deploy reached the others ${t1 - t0 - 3000} ms after; edge restart ${t2 - t1} ms to ready, ${Date.now() - t2} ms more to serve v2`);
});

test('faults: every control plane stopped: edges serve on with no error; deploys fail saying the API is unreachable', SLOW, async (t) => {
  const load = startLoad(c.edges.map((e) => ({ port: e.port, host: HOST })), (b) => b === 'v2');
  for (const p of c.controls) await p.signal('SIGTERM');
  await new Promise((r) => setTimeout(r, 2000));

  // `atoll deploy` as an operator runs it, against the control plane that is gone.
  const dir = await mkdtemp(join(tmpdir(), 'atoll-faults-deploy-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'index.js'), worker('v3'));
  const atoll = fileURLToPath(new URL('../../bin/atoll.js', import.meta.url));
  const run = promisify(execFile);
  const failed = await run(process.execPath, ['--no-node-snapshot', atoll, 'deploy', 'index.js', '--name', 'site', '--compatibility-date', '2026-01-01'], {
    cwd: dir, env: { ...process.env, ATOLL_API_URL: c.controlUrl, ATOLL_API_TOKEN: c.token },
  }).then(() => null, (err: { code: number; stderr: string }) => err);
  assert.ok(failed, 'atoll deploy fails');
  assert.notEqual(failed.code, 0);
  t.diagnostic(`atoll deploy said: ${failed.stderr.trim()}`);
  assert.match(failed.stderr, new RegExp(`${c.controlUrl.replace(/[.:/]/g, '\\$&')}|reach|connect`, 'i'), `the error names the API or the connection: ${failed.stderr}`);

  const result = await load.stop();
  assert.deepEqual(result.failures, [], 'no edge request failed while the control plane was down');
  assert.ok(result.ok > 20, `requests were served meanwhile (${result.ok})`);

  // A control plane back on the same port: deploys work again and reach every edge.
  await c.startControl();
  assert.equal((await c.deploy('site', worker('v3'))).status, 201);
  await c.waitServing(HOST, 'v3');
});
