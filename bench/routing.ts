// Routing at scale (issue 3): edge throughput with 10,000 routes over 1,000 workers against
// 1 route to 1 worker, both on the whole `atoll up` platform in this process
// (src/edge/embedded.ts), set up through the REST API.
//
// Baseline platform: zone one.bench, route one.bench/* -> worker "one".
// Routed platform: 1,000 workers (all the same tiny source, each uploaded + deployed with
// PUT /api/v1/workers/w<i>), 100 zones z<k>.routing.bench, 10 routes per worker
// (z<k>.routing.bench/w<i>/r<j>/*, spread round-robin over the zones: 100 per zone).
// wrk (-t1 -c50, Host header set) hits one route of the last worker on each platform in
// turn, ROUNDS x SECONDS, interleaved; the figure is the median of the rounds. Setup time
// (uploads, routes, until the last route serves) is measured and bounded (DEADLINE).
// Target (issue 3): routed >= 0.90 of the baseline's req/s.
//
//   node_modules/.bin/node --no-node-snapshot bench/routing.ts [--quick] [--workers 1000]
//     [--routes-per-worker 10] [--zones 100] [--seconds 10] [--rounds 3]

import { command, machine, QUICK, median, numFlag, procMemory, report, runWrk, type ResultRow } from './lib/harness.ts';
import { expectStatus, pool, startPlatform } from './lib/platform.ts';

const WORKERS = numFlag('workers', 1000, 100);
const PER_WORKER = numFlag('routes-per-worker', 10, 10);
const ZONES = numFlag('zones', 100, 10);
const SECONDS = numFlag('seconds', 10, 3);
const ROUNDS = numFlag('rounds', 3, 1);
const CONNECTIONS = 50;
const SETUP_DEADLINE_MS = numFlag('setup-deadline-ms', 240_000, 60_000);
const SOURCE = 'export default { fetch() { return new Response("hello"); } };';

const rss0 = procMemory(process.pid);
const base = await startPlatform();
const routed = await startPlatform(); // the default isolate limit, as `atoll up` runs
try {
  expectStatus(await base.upload('one', SOURCE), 201, 'baseline upload');
  expectStatus(await base.call('POST', '/api/v1/zones', { json: { hostname: 'one.bench', origin: 'http://127.0.0.1:1' } }), 201, 'baseline zone');
  expectStatus(await base.call('POST', '/api/v1/routes', { json: { pattern: 'one.bench/*', worker: 'one' } }), 201, 'baseline route');

  for (let t = Date.now(); ;) {
    const g = await base.edgeGet('one.bench', '/');
    if (g.status === 200 && g.text === 'hello') break;
    if (Date.now() - t > 10_000) throw new Error(`the baseline route never served: ${g.status} ${g.text.slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, 20));
  }

  const setupStart = performance.now();
  const deadline = () => { if (performance.now() - setupStart > SETUP_DEADLINE_MS) throw new Error(`setup deadline (${SETUP_DEADLINE_MS} ms) passed`); };
  const uploadMs: number[] = [];
  await pool(WORKERS, 8, async (i) => {
    deadline();
    const r = await routed.upload(`w${i}`, SOURCE);
    expectStatus(r, 201, `upload w${i}`);
    uploadMs.push(r.ms);
    if (uploadMs.length % 100 === 0) console.log(`${uploadMs.length} uploads after ${((performance.now() - setupStart) / 1000).toFixed(1)} s (this one ${r.ms.toFixed(0)} ms)`);
  });
  const uploadsDone = performance.now();
  await pool(ZONES, 8, async (k) => {
    expectStatus(await routed.call('POST', '/api/v1/zones', { json: { hostname: `z${k}.routing.bench`, origin: 'http://127.0.0.1:1' } }), 201, `zone ${k}`);
  });
  const routeMs: number[] = [];
  await pool(WORKERS * PER_WORKER, 8, async (n) => {
    deadline();
    const w = Math.floor(n / PER_WORKER);
    const j = n % PER_WORKER;
    const r = await routed.call('POST', '/api/v1/routes', { json: { pattern: `z${n % ZONES}.routing.bench/w${w}/r${j}/*`, worker: `w${w}` } });
    expectStatus(r, 201, `route ${n}`);
    routeMs.push(r.ms);
    if (routeMs.length % 1000 === 0) console.log(`${routeMs.length} routes after ${((performance.now() - setupStart) / 1000).toFixed(1)} s (this one ${r.ms.toFixed(0)} ms)`);
  });
  const routesDone = performance.now();
  const lastN = WORKERS * PER_WORKER - 1;
  const host = `z${lastN % ZONES}.routing.bench`;
  const path = `/w${WORKERS - 1}/r${PER_WORKER - 1}/x`;
  for (;;) {
    deadline();
    const g = await routed.edgeGet(host, path);
    if (g.status === 200 && g.text === 'hello') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  // Spot-check: a few other routes reach their worker too.
  for (const n of [0, 1234 % (WORKERS * PER_WORKER), Math.floor(lastN / 2)]) {
    const g = await routed.edgeGet(`z${n % ZONES}.routing.bench`, `/w${Math.floor(n / PER_WORKER)}/r${n % PER_WORKER}/`);
    if (g.status !== 200 || g.text !== 'hello') throw new Error(`route ${n} answers ${g.status} ${g.text.slice(0, 100)}`);
  }
  const setupMs = performance.now() - setupStart;
  const rssAfterSetup = procMemory(process.pid);
  console.log(`setup: ${WORKERS} uploads in ${((uploadsDone - setupStart) / 1000).toFixed(1)} s, ${WORKERS * PER_WORKER} routes in ${((routesDone - uploadsDone) / 1000).toFixed(1)} s, serving after ${(setupMs / 1000).toFixed(1)} s; RSS ${(rss0 / 2 ** 20).toFixed(0)} -> ${(rssAfterSetup / 2 ** 20).toFixed(0)} MiB`);

  const targets = [
    { name: 'baseline (1 route, 1 worker)', url: `${base.up.edge.url.replace('localhost', '127.0.0.1')}/`, host: 'one.bench', rps: [] as number[], p99: [] as number[], bad: 0 },
    { name: `routed (${WORKERS * PER_WORKER} routes, ${WORKERS} workers)`, url: `${routed.up.edge.url.replace('localhost', '127.0.0.1')}${path}`, host, rps: [] as number[], p99: [] as number[], bad: 0 },
  ];
  // What the edges log under load apart from successful requests: the reason for any failures.
  const events = new Map<string, number>();
  for (const [name, pl] of [['baseline', base], ['routed', routed]] as const) {
    pl.onLog = (f) => {
      if (f.level === 'info' && (f.status === undefined || f.status === 200)) return;
      const k = `${name}: ${String(f.level)} ${String(f.msg)} ${f.status ?? ''} ${String(f.code ?? f.reason ?? f.error ?? '').slice(0, 120)}`;
      events.set(k, (events.get(k) ?? 0) + 1);
    };
  }
  for (const t of targets) await runWrk(t.url, { seconds: 1, connections: CONNECTIONS, threads: 1, headers: { Host: t.host } });
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of round % 2 ? [...targets].reverse() : targets) {
      const r = await runWrk(t.url, { seconds: SECONDS, connections: CONNECTIONS, threads: 1, headers: { Host: t.host } });
      t.rps.push(r.rps);
      t.p99.push(r.latencyP99Ms);
      t.bad += r.errors + r.non2xx;
      console.log(`round ${round + 1}/${ROUNDS} ${t.name}: ${Math.round(r.rps)} req/s, p99 ${r.latencyP99Ms} ms, errors ${r.errors}, non-2xx ${r.non2xx}`);
      if (r.non2xx) {
        const g = await (t === targets[0] ? base : routed).edgeGet(t.host, new URL(t.url).pathname);
        console.log(`  after the round, one request answers ${g.status}: ${g.text.slice(0, 300)}`);
      }
    }
  }
  for (const [k, n] of events) console.log(`edge log under load: ${n} x ${k}`);
  const [b, r] = targets;
  if (b.bad || r.bad) throw new Error(`failed requests under load: baseline ${b.bad}, routed ${r.bad}`);
  const bRps = median(b.rps);
  const rRps = median(r.rps);
  // The command with the sizes this run used when they are not the defaults.
  const sizes = [['workers', WORKERS, 1000, 100], ['routes-per-worker', PER_WORKER, 10, 10], ['zones', ZONES, 100, 10], ['seconds', SECONDS, 10, 3], ['rounds', ROUNDS, 3, 1]] as const;
  const cmd = command('routing') + sizes.filter(([, v, full, quick]) => v !== (QUICK ? quick : full)).map(([n, v]) => ` --${n} ${v}`).join('');
  const setupNote = `setup through the REST API: ${WORKERS} uploads (8 at a time) ${((uploadsDone - setupStart) / 1000).toFixed(1)} s (p50 ${median(uploadMs).toFixed(1)} ms each), ${WORKERS * PER_WORKER} route POSTs ${((routesDone - uploadsDone) / 1000).toFixed(1)} s (p50 ${median(routeMs).toFixed(1)} ms each)`;
  const rows: ResultRow[] = [
    {
      bench: 'routing', figure: `Edge throughput, ${WORKERS * PER_WORKER} routes over ${WORKERS} workers vs 1 route to 1 worker`, value: rRps, unit: 'req/s',
      baseline: '1 route to 1 worker', baselineValue: bRps, ratio: rRps / bRps, target: '>= 0.90 of 1 route', met: rRps / bRps >= 0.9, command: cmd,
      notes: `wrk -t1 -c${CONNECTIONS}, ${ROUNDS} x ${SECONDS} s per platform, interleaved, median; both platforms in one process (atoll up embedded), one route of the last worker hit (${host}${path}); p99 ${median(r.p99)} ms vs ${median(b.p99)} ms; errors + non-2xx ${r.bad} vs ${b.bad}`,
    },
    {
      bench: 'routing', figure: `Setup: ${WORKERS} workers + ${WORKERS * PER_WORKER} routes through the API until serving`, value: setupMs / 1000, unit: 's',
      baseline: 'one worker + one route', baselineValue: null, ratio: null, target: `(report; bounded at ${SETUP_DEADLINE_MS / 1000} s)`, met: null, command: cmd,
      notes: `${setupNote}; process RSS ${(rss0 / 2 ** 20).toFixed(0)} MiB before, ${(rssAfterSetup / 2 ** 20).toFixed(0)} MiB after (both platforms; every deployment warms its isolate, up to the default isolate limit, least recently used evicted)`,
    },
  ];
  report('routing', rows, { machine: machine(), baseline: b, routed: r, setupMs, uploadMs: median(uploadMs), routeMs: median(routeMs), rss0, rssAfterSetup });
} finally {
  await routed.close();
  await base.close();
}
