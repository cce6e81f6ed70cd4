// Edge cold restart with NATS down (issue 6): an `atoll edge` that serves N = 1,000
// workers is stopped, NATS is stopped entirely, and the edge is started again. Measured
// from spawning the process: its "atoll edge ready" log line (listening, local copy
// loaded), its first 200 from a worker (the last one deployed), and one 200 from every
// one of the N workers (each of those is also an isolate cold start; 8 at a time; a
// worker that fails, say over its CPU limit while 8 cold starts share 2 busy cores, is
// tried again, and the failures are reported).
//
// Setup (not timed): 1 nats-server, `atoll control`, one `atoll edge`; N workers
// uploaded and deployed through the REST API (8 at a time), one zone with a route per
// worker (cold.bench/wI/*); the edge has applied all of them (its heartbeat says so).
//
// Baseline (same run): the same command started with NATS down and an empty --data
// folder, to its "atoll edge ready" line: the fixed cost of a process that loads no
// workers. Target (issue 6): restart to serving the N workers <= 2 s. Three restarts,
// the median reported.
//
//   node_modules/.bin/node --no-node-snapshot bench/cluster-cold-restart.ts [--quick] [--workers N]

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command, machine, median, numFlag, procCpuMs, report, type ResultRow } from './lib/harness.ts';
import { pool } from './lib/platform.ts';
import { httpGet, startCluster } from '../test/cluster/faults-cluster.ts';
import { killOnExit } from '../test/helpers/nats.ts';

const WORKERS = numFlag('workers', 1000, 100);
const RESTARTS = numFlag('restarts', 3, 1);
const HOST = 'cold.bench';
const source = (i: number) => `export default { fetch() { return new Response("w${i}"); } };`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const c = await startCluster({ natsServers: 1, locations: ['ams'] });
const scratch = mkdtempSync(join(tmpdir(), 'atoll-bench-cold-'));
try {
  const setupStart = Date.now();
  const z = await c.api('POST', '/api/v1/zones', { json: { hostname: HOST, origin: 'http://127.0.0.1:9' } });
  if (z.status !== 201) throw new Error(`zone: ${z.status} ${z.text}`);
  await pool(WORKERS, 8, async (i) => {
    const r = await c.deploy(`w${i}`, source(i));
    if (r.status !== 201) throw new Error(`deploy w${i}: ${r.status} ${r.text}`);
    const rt = await c.api('POST', '/api/v1/routes', { json: { pattern: `${HOST}/w${i}/*`, worker: `w${i}` } });
    if (rt.status !== 201) throw new Error(`route w${i}: ${rt.status} ${rt.text}`);
  });
  // The edge has every worker's deployment applied when its heartbeat lists them all.
  for (let t0 = Date.now(); ;) {
    const l = await c.api('GET', '/api/v1/locations');
    if (l.body?.locations?.[0]?.workers === WORKERS) break;
    if (Date.now() - t0 > 300_000) throw new Error(`the edge applied ${l.body?.locations?.[0]?.workers} of ${WORKERS} workers within 300 s`);
    await sleep(500);
  }
  const setupS = (Date.now() - setupStart) / 1000;
  console.log(`setup: ${WORKERS} workers deployed and applied at the edge in ${setupS.toFixed(0)} s`);

  const edge = c.edges[0]!;
  await edge.proc.signal('SIGTERM');
  await c.nats.stopAll();
  const env = { ...process.env, ATOLL_SECRETS_KEY: randomBytes(32).toString('base64') };

  /** Spawns `atoll edge` with NATS down; ms to its ready line, and the process. */
  const launch = async (dataDir: string, port: number) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--no-node-snapshot', join(import.meta.dirname, '../bin/atoll.js'), 'edge', '--nats', c.nats.url, '--location', 'ams',
      '--ip', '127.0.0.1', '--port', String(port), '--data', dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    killOnExit(child);
    // Its log, to say why a worker failed.
    const log: string[] = [];
    let rest = '';
    const keep = (d: Buffer) => {
      const parts = (rest + d.toString('utf8')).split('\n');
      rest = parts.pop()!;
      log.push(...parts);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let readyCpuMs = NaN;
    const readyMs = await new Promise<number>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d;
        if (buf.includes('"atoll edge ready"')) {
          // CPU the process used to get there: what the wall time would be on an idle core.
          readyCpuMs = procCpuMs(child.pid!);
          resolve(performance.now() - t0);
        }
      });
      child.once('exit', (code) => reject(new Error(`atoll edge exited (${code}) before it was ready`)));
    });
    return { t0, readyMs, readyCpuMs, child, log, stop: async () => { child.kill('SIGKILL'); if (child.exitCode === null) await new Promise((r) => child.once('exit', r)); } };
  };

  const baseline: number[] = [];
  const baselineCpu: number[] = [];
  const readyCpu: number[] = [];
  const ready: number[] = [];
  const first: number[] = [];
  const all: number[] = [];
  const failures: string[] = [];
  for (let round = 0; round < RESTARTS; round++) {
    const empty = await launch(join(scratch, `empty-${round}`), 0);
    baseline.push(empty.readyMs);
    baselineCpu.push(empty.readyCpuMs);
    await empty.stop();

    const p = await launch(edge.dataDir, edge.port);
    ready.push(p.readyMs);
    readyCpu.push(p.readyCpuMs);
    const last = WORKERS - 1;
    for (;;) {
      const r = await httpGet(edge.port, HOST, `/w${last}/`).catch(() => null);
      if (r?.status === 200 && r.text === `w${last}`) break;
      if (performance.now() - p.t0 > 60_000) throw new Error(`w${last} not served within 60 s of the restart (${r?.status} ${r?.text.slice(0, 100)})`);
      await sleep(2);
    }
    first.push(performance.now() - p.t0);
    // Each worker until it answers, 3 tries at most; what failed first is reported.
    await pool(WORKERS, 8, async (i) => {
      for (let attempt = 1; ; attempt++) {
        const r = await httpGet(edge.port, HOST, `/w${i}/`, 30_000);
        if (r.status === 200 && r.text === `w${i}`) return;
        const why = p.log.filter((l) => l.includes(`"w${i}"`) && /error|fail/i.test(l)).slice(0, 1).join(' ');
        failures.push(`w${i} try ${attempt}: ${r.status} ${r.text.slice(0, 80)}${why ? ` (log: ${why.slice(0, 200)})` : ''}`);
        if (attempt === 3) throw new Error(`w${i} after the restart, 3 tries: ${failures.slice(-3).join('; ')}`);
      }
    });
    all.push(performance.now() - p.t0);
    await p.stop();
  }

  const cmd = command('cluster-cold-restart');
  const base = median(baseline);
  const rows: ResultRow[] = [
    {
      bench: 'cluster-cold-restart', figure: `Edge restart with NATS down, ${WORKERS} workers: process start -> ready (listening, local copy loaded)`, value: median(ready), unit: 'ms',
      baseline: 'the same command, empty data folder, NATS down, to ready', baselineValue: base, ratio: median(ready) / base, target: '(report)', met: null, command: cmd,
      notes: `median of ${RESTARTS} restarts (${ready.map((x) => x.toFixed(0)).join(', ')} ms); baseline ${baseline.map((x) => x.toFixed(0)).join(', ')} ms; setup (deploys + routes through the API, applied at the edge) took ${setupS.toFixed(0)} s`,
    },
    {
      bench: 'cluster-cold-restart', figure: `Edge restart with NATS down, ${WORKERS} workers: CPU time of the process from start to ready`, value: median(readyCpu), unit: 'ms',
      baseline: 'the same, empty data folder', baselineValue: median(baselineCpu), ratio: median(readyCpu) / median(baselineCpu), target: '(report)', met: null, command: cmd,
      notes: `user + system CPU from /proc at the ready line: what the start costs on an idle core, whatever the load of the machine (${readyCpu.map((x) => x.toFixed(0)).join(', ')} ms; baseline ${baselineCpu.map((x) => x.toFixed(0)).join(', ')} ms)`,
    },
    {
      bench: 'cluster-cold-restart', figure: `Edge restart with NATS down, ${WORKERS} workers: process start -> first worker response`, value: median(first), unit: 'ms',
      baseline: 'the same command, empty data folder, NATS down, to ready', baselineValue: base, ratio: median(first) / base, target: '<= 2000 ms', met: median(first) <= 2000, command: cmd,
      notes: `the last worker deployed, polled every 2 ms from the spawn; ${first.map((x) => x.toFixed(0)).join(', ')} ms`,
    },
    {
      bench: 'cluster-cold-restart', figure: `Edge restart with NATS down: process start -> all ${WORKERS} workers answered once`, value: median(all), unit: 'ms',
      baseline: 'the same command, empty data folder, NATS down, to ready', baselineValue: base, ratio: median(all) / base, target: '(report)', met: null, command: cmd,
      notes: `each a cold isolate start, 8 at a time, a failed one tried again (3 tries at most); ${all.map((x) => x.toFixed(0)).join(', ')} ms; ${failures.length} failed tries${failures.length ? `: ${failures.slice(0, 5).join('; ')}` : ''}`,
    },
  ];
  report('cluster-cold-restart', rows, { machine: machine(), baseline, baselineCpu, ready, readyCpu, first, all, failures, setupS });
} finally {
  await c.close();
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(0);
