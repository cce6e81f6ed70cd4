// Deploy latency (issue 3): from the API accepting a deploy to the new version serving at
// the edge, in one process (`atoll up` embedded: control API + edge, src/edge/embedded.ts).
//
// One worker "dep" routed from deploy.bench/*. Each of N deploys uploads a new source
// (its body says which deploy it is) with PUT /api/v1/workers/dep (upload + deploy in one
// call), sequentially. The clock starts when the PUT's 201 arrives ("accepted") and stops
// when the edge first answers with the new body: the script polls the edge back to back
// (kept-alive loopback connection, one request at a time) until it does. The edge's own
// "deployment applied" log line (the signal the control store's watch delivers) is
// timestamped too (from sending the PUT) and reported beside it.
//
// Baseline: the same PUT's API round trip alone (request sent to 201 received), p50/p99
// over the same deploys. Target (issue 3): accepted -> serving p99 <= 200 ms.
//
//   node_modules/.bin/node --no-node-snapshot bench/deploy-latency.ts [--quick] [--deploys N]

import { command, machine, numFlag, report, summary, type ResultRow } from './lib/harness.ts';
import { expectStatus, startPlatform } from './lib/platform.ts';

const DEPLOYS = numFlag('deploys', 50, 10);
const DEADLINE_MS = 120_000;
const source = (i: number) => `export default { fetch() { return new Response("v${i}"); } };`;

const started = Date.now();
const p = await startPlatform();
try {
  expectStatus(await p.upload('dep', source(0)), 201, 'first upload');
  expectStatus(await p.call('POST', '/api/v1/zones', { json: { hostname: 'deploy.bench', origin: 'http://127.0.0.1:1' } }), 201, 'zone');
  expectStatus(await p.call('POST', '/api/v1/routes', { json: { pattern: 'deploy.bench/*', worker: 'dep' } }), 201, 'route');
  for (let t = Date.now(); (await p.edgeGet('deploy.bench')).text !== 'v0';) {
    if (Date.now() - t > 10_000) throw new Error('the first version never served');
  }

  let applied: number | null = null;
  p.onLog = (f, at) => { if (f.msg === 'deployment applied' && f.worker === 'dep' && applied === null) applied = at; };

  const apiMs: number[] = [];
  const servingMs: number[] = [];
  const sentToServingMs: number[] = [];
  const appliedMs: number[] = [];
  let polls = 0;
  let appliedBefore201 = 0;
  for (let i = 1; i <= DEPLOYS; i++) {
    if (Date.now() - started > DEADLINE_MS) throw new Error(`deadline: ${i - 1} deploys in ${DEADLINE_MS} ms`);
    applied = null;
    const sent = performance.now();
    const r = await p.upload('dep', source(i));
    const accepted = performance.now();
    expectStatus(r, 201, `deploy ${i}`);
    const want = `v${i}`;
    for (;;) {
      const g = await p.edgeGet('deploy.bench');
      polls++;
      if (g.text === want) break;
      if (performance.now() - accepted > 10_000) throw new Error(`deploy ${i}: not serving after 10 s (edge says ${g.status} ${g.text.slice(0, 100)})`);
    }
    const serving = performance.now();
    apiMs.push(accepted - sent);
    servingMs.push(serving - accepted);
    sentToServingMs.push(serving - sent);
    // From sending the PUT: the store's watch may fire (and the edge apply) before the 201 arrives.
    if (applied !== null) appliedMs.push((applied as number) - sent);
    if (applied !== null && (applied as number) <= accepted) appliedBefore201++;
  }

  const api = summary(apiMs);
  const srv = summary(servingMs);
  const tot = summary(sentToServingMs);
  const app = summary(appliedMs);
  const cmd = command('deploy-latency');
  const rows: ResultRow[] = [
    {
      bench: 'deploy-latency', figure: 'Deploy latency p50, API accepted -> new version serving at the edge (one process)', value: srv.p50, unit: 'ms',
      baseline: 'the same deploy PUT API round trip p50', baselineValue: api.p50, ratio: srv.p50 / api.p50, target: '(report)', met: null, command: cmd,
      notes: `${DEPLOYS} sequential deploys of a one-module worker (PUT /api/v1/workers/dep, upload + deploy), the edge polled back to back until the new body; ${polls} edge requests in all; includes the new version's isolate start`,
    },
    {
      bench: 'deploy-latency', figure: 'Deploy latency p99, API accepted -> new version serving at the edge (one process)', value: srv.p99, unit: 'ms',
      baseline: 'the same deploy PUT API round trip p99', baselineValue: api.p99, ratio: srv.p99 / api.p99, target: '<= 200 ms', met: srv.p99 <= 200, command: cmd,
      notes: `max ${srv.max.toFixed(1)} ms; from sending the PUT to serving: p50 ${tot.p50.toFixed(1)} ms, p99 ${tot.p99.toFixed(1)} ms`,
    },
    {
      bench: 'deploy-latency', figure: 'Deploy: PUT sent -> edge "deployment applied" signal p99', value: app.p99, unit: 'ms',
      baseline: 'the same deploy PUT API round trip p99', baselineValue: api.p99, ratio: app.p99 / api.p99, target: '(report)', met: null, command: cmd,
      notes: `p50 ${app.p50.toFixed(2)} ms over ${app.n} deploys; the signal came before the 201 reached the client in ${appliedBefore201} of ${DEPLOYS}`,
    },
  ];
  report('deploy-latency', rows, { machine: machine(), apiMs: api, servingMs: srv, sentToServingMs: tot, appliedMs: app });
} finally {
  await p.close();
}
