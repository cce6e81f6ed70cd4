// Throughput of one edge in distributed mode against `atoll up` (issue 6): the same
// hello-world worker, served by an `atoll edge` process (fed by 1 nats-server and an
// `atoll control`; it publishes every invocation's event on NATS and sends heartbeats)
// and by an `atoll up` process (control API and edge in one process, SQLite). wrk
// (-t1 -c50) against each in turn, interleaved rounds, the median of each side. Also the
// server's CPU per request (user + system of its process over a round, from /proc), which
// other tenants of a shared machine do not inflate; for the edge it does not count the
// nats-server that receives its events.
//
// Baseline (same run): `atoll up`. Target (issue 6): the edge >= 95% of it.
//
//   node_modules/.bin/node --no-node-snapshot bench/cluster-throughput.ts [--quick] [--seconds S] [--rounds N]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command, machine, median, numFlag, NODE, procCpuMs, report, ROOT, runWrk, startChild, type ResultRow } from './lib/harness.ts';
import { httpGet, routeHost, startCluster } from '../test/cluster/faults-cluster.ts';

const SECONDS = numFlag('seconds', 10, 2);
const ROUNDS = numFlag('rounds', 3, 1);
const HOST = 'tput.bench';
const SOURCE = 'export default { fetch() { return new Response("hello world"); } };';

const dir = mkdtempSync(join(tmpdir(), 'atoll-bench-tput-'));
const cluster = await startCluster({ natsServers: 1, locations: ['ams'] });
const up = startChild(NODE, ['--no-node-snapshot', `${ROOT}bin/atoll.js`, 'up', '--port', '0', '--api-port', '0', '--data', join(dir, 'up')]);
try {
  // The distributed side.
  if ((await cluster.deploy('tput', SOURCE)).status !== 201) throw new Error('deploy to the cluster failed');
  await routeHost(cluster, HOST, 'tput');
  await cluster.waitServing(HOST, 'hello world');

  // The embedded side, through its own API.
  const token = JSON.parse((await up.waitFor(/"token":"atoll_/, 120_000)).input!).token as string;
  const ready = JSON.parse((await up.waitFor(/"atoll up ready"/, 120_000)).input!) as { edge: string; api: string };
  const call = async (method: string, path: string, body: string | FormData, json = false) => {
    const res = await fetch(ready.api + path, { method, body, headers: { authorization: `Bearer ${token}`, ...(json ? { 'content-type': 'application/json' } : {}) } });
    if (res.status !== 201) throw new Error(`atoll up ${method} ${path}: ${res.status} ${await res.text()}`);
  };
  const form = new FormData();
  form.set('metadata', JSON.stringify({ main_module: 'index.js', compatibility_date: '2026-01-01' }));
  form.append('index.js', new Blob([SOURCE], { type: 'application/javascript+module' }), 'index.js');
  await call('PUT', '/api/v1/workers/tput', form);
  await call('POST', '/api/v1/zones', JSON.stringify({ hostname: HOST, origin: 'http://127.0.0.1:9' }), true);
  await call('POST', '/api/v1/routes', JSON.stringify({ pattern: `${HOST}/*`, worker: 'tput' }), true);
  for (let t0 = Date.now(); ;) {
    const r = await httpGet(Number(new URL(ready.edge).port), HOST).catch(() => null);
    if (r?.text === 'hello world') break;
    if (Date.now() - t0 > 30_000) throw new Error('atoll up does not serve the worker');
    await new Promise((res) => setTimeout(res, 50));
  }

  const targets = { edge: cluster.edges[0]!.url, up: ready.edge };
  const wrk = (url: string) => runWrk(`${url}/`, { seconds: SECONDS, connections: 50, threads: 1, headers: { Host: HOST } });
  // Warm both (isolate made, JIT warm) before the measured rounds.
  await runWrk(`${targets.edge}/`, { seconds: 1, connections: 50, threads: 1, headers: { Host: HOST } });
  await runWrk(`${targets.up}/`, { seconds: 1, connections: 50, threads: 1, headers: { Host: HOST } });
  const edgeRps: number[] = [];
  const upRps: number[] = [];
  const edgeCpuUs: number[] = [];
  const upCpuUs: number[] = [];
  const pids = { edge: cluster.edges[0]!.proc.pid, up: up.pid };
  // What the rest of the cluster spends on the edge's traffic (its events, heartbeats).
  const others = [cluster.nats.pid(0)!, cluster.controls[0]!.pid];
  const othersCpu = () => others.reduce((a, pid) => a + procCpuMs(pid), 0);
  const othersCpuUs: number[] = [];
  const problems: string[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate which goes first, so a drift in machine load does not favour one side.
    const order = r % 2 === 0 ? (['edge', 'up'] as const) : (['up', 'edge'] as const);
    for (const side of order) {
      const cpu0 = procCpuMs(pids[side]);
      const other0 = othersCpu();
      const w = await wrk(targets[side]);
      (side === 'edge' ? edgeCpuUs : upCpuUs).push(((procCpuMs(pids[side]) - cpu0) * 1000) / w.requests);
      if (side === 'edge') othersCpuUs.push(((othersCpu() - other0) * 1000) / w.requests);
      if (w.errors || w.non2xx) problems.push(`${side} round ${r + 1}: ${w.errors} socket errors, ${w.non2xx} non-2xx`);
      (side === 'edge' ? edgeRps : upRps).push(w.rps);
    }
  }
  const e = median(edgeRps);
  const u = median(upRps);
  const ec = median(edgeCpuUs);
  const uc = median(upCpuUs);
  const rows: ResultRow[] = [{
    bench: 'cluster-throughput', figure: 'Hello world req/s, one atoll edge in distributed mode (1 nats-server)', value: e, unit: 'req/s',
    baseline: 'atoll up (embedded), same worker', baselineValue: u, ratio: e / u, target: '>= 0.95 of atoll up', met: e / u >= 0.95, command: command('cluster-throughput'),
    notes: `wrk -t1 -c50, ${ROUNDS} x ${SECONDS} s interleaved, median; edge rounds ${edgeRps.map((x) => x.toFixed(0)).join(', ')}; atoll up rounds ${upRps.map((x) => x.toFixed(0)).join(', ')}${problems.length ? `; ${problems.join('; ')}` : ''}`,
  }, {
    bench: 'cluster-throughput', figure: 'Server CPU per hello-world request, one atoll edge in distributed mode', value: ec, unit: 'us',
    baseline: 'atoll up (embedded), same worker', baselineValue: uc, ratio: ec / uc, target: '(report)', met: null, command: command('cluster-throughput'),
    notes: `process user + system CPU over each round / its requests, median; edge ${edgeCpuUs.map((x) => x.toFixed(0)).join(', ')} us; atoll up ${upCpuUs.map((x) => x.toFixed(0)).join(', ')} us; meanwhile the nats-server and atoll control spent ${othersCpuUs.map((x) => x.toFixed(0)).join(', ')} us per edge request (they share the 2 cores here; in production they run elsewhere)`,
  }];
  report('cluster-throughput', rows, { machine: machine(), edgeRps, upRps, edgeCpuUs, upCpuUs, othersCpuUs });
} finally {
  await up.stop();
  await cluster.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
