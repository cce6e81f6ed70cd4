// Global propagation in distributed mode (issue 6): 3 nats-servers (a JetStream cluster,
// R3 buckets), one `atoll control` and 10 `atoll edge` processes (10 locations), all on
// loopback, started as the CLI starts them (test/cluster/faults-cluster.ts).
//
// Deploys: N sequential deploys of a one-module worker (PUT /api/v1/workers/prop, upload
// + deploy). The clock starts when the PUT's 201 arrives ("accepted") and stops when the
// last of the 10 edges first answers with the new body; every edge is polled on its own
// kept-alive connection, one request at a time, 25 ms apart (so the figures are up to
// 25 ms late; polling faster put more load on the 2 cores than the deploys did). Each
// edge's own "deployment applied" log line is timestamped too (wall clock, from sending
// the PUT): the difference to serving is the new version's isolate start and the poll.
// KV: N sequential writes of a new value (PUT .../values/k) read back by a worker at
// every edge, timed the same way.
//
// Baselines (same run): the PUT's own API round trip (request sent to answer), p50/p99
// over the same writes. Targets (issue 6): deploy accepted -> all 10 serving p99 <= 1 s;
// KV write -> visible everywhere: reported.
//
//   node_modules/.bin/node --no-node-snapshot bench/cluster-propagation.ts [--quick] [--deploys N] [--edges N]

import { command, machine, numFlag, report, summary, type ResultRow } from './lib/harness.ts';
import { httpGet, routeHost, startCluster } from '../test/cluster/faults-cluster.ts';

const DEPLOYS = numFlag('deploys', 50, 10);
const EDGES = numFlag('edges', 10, 4);
const LOCATIONS = ['ams', 'fra', 'iad', 'sin', 'gru', 'syd', 'nrt', 'jnb', 'bom', 'lhr', 'cdg', 'mad', 'ord', 'lax', 'sea', 'yyz', 'scl', 'dxb', 'hkg', 'icn'].slice(0, EDGES);
const HOST = 'prop.bench';
const POLL_GAP_MS = 25;
const STEP_DEADLINE_MS = 30_000;

const source = (v: string) => `export default {
  async fetch(req, env) {
    const { pathname } = new URL(req.url);
    if (pathname === '/kv') return new Response((await env.KV.get('k')) ?? 'none');
    return new Response(${JSON.stringify(v)});
  },
};`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const c = await startCluster({ natsServers: 3, locations: LOCATIONS });
try {
  const created = await c.api('POST', '/api/v1/kv/namespaces', { json: { title: 'prop' } });
  if (created.status !== 201) throw new Error(`namespace: ${created.status} ${created.text}`);
  const bindings = [{ type: 'kv_namespace', name: 'KV', namespace_id: created.body.namespace.id as string }];
  const kvPath = `/api/v1/kv/namespaces/${created.body.namespace.id}/values/k`;
  if ((await c.deploy('prop', source('v0'), bindings)).status !== 201) throw new Error('first deploy failed');
  await routeHost(c, HOST, 'prop');
  await c.waitServing(HOST, 'v0');

  /** Times from `accepted` until every edge answers `path` with `want`; the slowest is the result. */
  const untilEverywhere = async (path: string, want: string, accepted: number): Promise<number[]> => Promise.all(c.edges.map(async (e) => {
    for (;;) {
      const r = await httpGet(e.port, HOST, path).catch(() => null);
      if (r?.status === 200 && r.text === want) return performance.now() - accepted;
      if (performance.now() - accepted > STEP_DEADLINE_MS) throw new Error(`edge ${e.location}: ${path} not ${want} after ${STEP_DEADLINE_MS} ms (says ${r?.status} ${r?.text.slice(0, 80)})`);
      await sleep(POLL_GAP_MS);
    }
  }));

  /** When (wall clock) each edge logged that it applied a deployment naming `versionId`. */
  const appliedAt = (versionId: string): number[] => c.edges.map((e) => {
    const line = e.proc.lines.find((l) => l.msg === 'deployment applied' && l.worker === 'prop' && JSON.stringify(l.versions).includes(versionId));
    return line ? Date.parse(String(line.time)) : NaN;
  });

  const deployApi: number[] = [];
  const deployAll: number[] = [];
  const deployFirst: number[] = [];
  const appliedAll: number[] = [];
  for (let i = 1; i <= DEPLOYS; i++) {
    const sentWall = Date.now();
    const sent = performance.now();
    const r = await c.deploy('prop', source(`v${i}`), bindings);
    const accepted = performance.now();
    if (r.status !== 201) throw new Error(`deploy ${i}: ${r.status} ${r.text}`);
    const per = await untilEverywhere('/', `v${i}`, accepted);
    deployApi.push(accepted - sent);
    deployAll.push(Math.max(...per));
    deployFirst.push(Math.min(...per));
    const applied = appliedAt(String(r.body.version.id));
    if (applied.every(Number.isFinite)) appliedAll.push(Math.max(...applied) - sentWall);
  }

  const kvApi: number[] = [];
  const kvAll: number[] = [];
  for (let i = 1; i <= DEPLOYS; i++) {
    const sent = performance.now();
    const r = await c.api('PUT', kvPath, { raw: `value-${i}` });
    const acked = performance.now();
    if (r.status !== 200) throw new Error(`KV write ${i}: ${r.status} ${r.text}`);
    const per = await untilEverywhere('/kv', `value-${i}`, acked);
    kvApi.push(acked - sent);
    kvAll.push(Math.max(...per));
  }

  const dApi = summary(deployApi);
  const dAll = summary(deployAll);
  const dFirst = summary(deployFirst);
  const dApplied = summary(appliedAll);
  const kApi = summary(kvApi);
  const kAll = summary(kvAll);
  const cmd = command('cluster-propagation');
  const setup = `3 nats-servers (R3), 1 atoll control, ${EDGES} atoll edge processes, loopback; edges polled every ${POLL_GAP_MS} ms`;
  const rows: ResultRow[] = [
    {
      bench: 'cluster-propagation', figure: `Deploy accepted -> all ${EDGES} edges serving it, p50 (distributed)`, value: dAll.p50, unit: 'ms',
      baseline: 'the deploy PUT API round trip p50', baselineValue: dApi.p50, ratio: dAll.p50 / dApi.p50, target: '(report)', met: null, command: cmd,
      notes: `${DEPLOYS} sequential deploys; ${setup}; first edge serving p50 ${dFirst.p50.toFixed(1)} ms`,
    },
    {
      bench: 'cluster-propagation', figure: `Deploy accepted -> all ${EDGES} edges serving it, p99 (distributed)`, value: dAll.p99, unit: 'ms',
      baseline: 'the deploy PUT API round trip p99', baselineValue: dApi.p99, ratio: dAll.p99 / dApi.p99, target: '<= 1000 ms', met: dAll.p99 <= 1000, command: cmd,
      notes: `max ${dAll.max.toFixed(1)} ms`,
    },
    {
      bench: 'cluster-propagation', figure: `Deploy PUT sent -> "deployment applied" logged by all ${EDGES} edges, p99`, value: dApplied.p99, unit: 'ms',
      baseline: 'the deploy PUT API round trip p99', baselineValue: dApi.p99, ratio: dApplied.p99 / dApi.p99, target: '(report)', met: null, command: cmd,
      notes: `p50 ${dApplied.p50.toFixed(1)} ms over ${dApplied.n} deploys (log timestamps, ms resolution): the config reached every edge and its bundle is on disk; serving the new body also needs its isolate`,
    },
    {
      bench: 'cluster-propagation', figure: `KV write acknowledged -> visible at all ${EDGES} edges, p50`, value: kAll.p50, unit: 'ms',
      baseline: 'the KV PUT API round trip p50', baselineValue: kApi.p50, ratio: kAll.p50 / kApi.p50, target: '(report)', met: null, command: cmd,
      notes: `${DEPLOYS} sequential writes of one key, read by a worker at every edge`,
    },
    {
      bench: 'cluster-propagation', figure: `KV write acknowledged -> visible at all ${EDGES} edges, p99`, value: kAll.p99, unit: 'ms',
      baseline: 'the KV PUT API round trip p99', baselineValue: kApi.p99, ratio: kAll.p99 / kApi.p99, target: '(report)', met: null, command: cmd,
      notes: `max ${kAll.max.toFixed(1)} ms`,
    },
  ];
  report('cluster-propagation', rows, { machine: machine(), deployApi: dApi, deployAll: dAll, deployFirst: dFirst, deployApplied: dApplied, kvApi: kApi, kvAll: kAll });
} finally {
  await c.close();
}
process.exit(0);
