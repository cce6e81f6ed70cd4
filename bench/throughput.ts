// Warm hello-world throughput: atoll (WorkerIsolate + invokeHttp behind node:http, its
// own process) vs a bare node:http hello world, vs workerd serving the same worker, and
// vs the floor of any isolated-vm design (bench/servers/ivm-floor.ts: node:http plus one
// isolated-vm call per request). wrk runs in its own process on loopback; every server
// gets the same warm-up and the same bounded runs, interleaved round by round so that
// noise from the shared machine falls on all of them alike. The figure is the median of
// the rounds.
//
//   node_modules/.bin/node --no-node-snapshot bench/throughput.ts [--quick]
//     [--seconds 10] [--rounds 3] [--connections 50] [--threads 1]

import { HELLO_WORKER } from './lib/atoll-server.ts';
import { command, diffMaps, median, procCpuMs, procThreadsCpuMs, numFlag, report, runWrk, startNodeServer, timedGet, type ResultRow, type WrkResult } from './lib/harness.ts';
import { startWorkerd } from './lib/workerd.ts';

const seconds = numFlag('seconds', 10, 2);
const rounds = numFlag('rounds', 3, 1);
const connections = numFlag('connections', 50, 50);
const threads = numFlag('threads', 1, 1);
const warmupSeconds = numFlag('warmup', 2, 1);

const targets = [
  { name: 'bare node:http', start: () => startNodeServer('bare-http', ['--mode', 'hello']) },
  { name: 'atoll', start: () => startNodeServer('atoll', ['--worker', 'hello']) },
  { name: 'workerd', start: () => startWorkerd(HELLO_WORKER) },
  { name: 'isolated-vm floor', start: () => startNodeServer('ivm-floor') },
];

interface ServerStats {
  requests: number;
  wallMs: number;
  mainThreadElu: number;
  processCpuMs: number;
  isolateCpuMs: number;
  rss: number;
}

interface Target {
  name: string;
  server: Awaited<ReturnType<typeof startNodeServer>>;
  runs: WrkResult[];
  stats: ServerStats[];
  cpuUsPerReq: number[];
  /** CPU per request by thread group, one entry per round. */
  threadUsPerReq: Record<string, number>[];
}

const servers: Target[] = [];
for (const t of targets) servers.push({ ...t, server: await t.start(), runs: [] as WrkResult[], stats: [] as ServerStats[], cpuUsPerReq: [] as number[], threadUsPerReq: [] as Record<string, number>[] });

try {
  // Same answer from each, and a warm-up (JIT, the isolate's first requests).
  for (const s of servers) {
    const r = await timedGet(s.server.url + '/');
    if (r.status !== 200 || r.body !== 'Hello World!') throw new Error(`${s.name} answered ${r.status} ${JSON.stringify(r.body)}`);
    await runWrk(s.server.url + '/', { seconds: warmupSeconds, connections, threads });
  }
  for (let round = 0; round < rounds; round++) {
    for (const s of servers) {
      const isAtoll = s.name === 'atoll';
      if (isAtoll) await timedGet(s.server.url + '/__bench/reset');
      const cpu0 = procCpuMs(s.server.pid);
      const threads0 = procThreadsCpuMs(s.server.pid);
      const r = await runWrk(s.server.url + '/', { seconds, connections, threads });
      s.cpuUsPerReq.push(((procCpuMs(s.server.pid) - cpu0) * 1000) / r.requests);
      s.threadUsPerReq.push(Object.fromEntries([...diffMaps(threads0, procThreadsCpuMs(s.server.pid))].map(([k, v]) => [k, (v * 1000) / r.requests])));
      if (isAtoll) s.stats.push(JSON.parse((await timedGet(s.server.url + '/__bench/stats')).body));
      s.runs.push(r);
      console.log(`round ${round + 1}/${rounds} ${s.name}: ${Math.round(r.rps)} req/s, server CPU ${s.cpuUsPerReq.at(-1)!.toFixed(0)} us/req, p50 ${r.latencyP50Ms} ms, p99 ${r.latencyP99Ms} ms, errors ${r.errors}, non-2xx ${r.non2xx}`);
    }
  }
} finally {
  for (const s of servers) await s.server.stop();
}

const [bare, atoll, workerd, floor] = servers.map((s) => ({ ...s, rps: median(s.runs.map((r) => r.rps)) }));
const cmd = command('throughput');
const setup = `wrk -t${threads} -c${connections}, ${rounds} x ${seconds} s per server, interleaved; median of rounds`;
const bad = servers
  .map((s) => ({ name: s.name, errors: s.runs.reduce((a, r) => a + r.errors, 0), non2xx: s.runs.reduce((a, r) => a + r.non2xx, 0) }))
  .filter((b) => b.errors > 0 || b.non2xx > 0)
  .map((b) => `${b.name} ${b.non2xx} non-2xx and ${b.errors} socket errors`);
const rows: ResultRow[] = [
  {
    bench: 'throughput',
    figure: 'Warm hello world, atoll vs bare node:http',
    value: atoll.rps,
    unit: 'req/s',
    baseline: 'bare node:http',
    baselineValue: bare.rps,
    ratio: atoll.rps / bare.rps,
    target: '>= 0.50 of bare node:http',
    met: atoll.rps / bare.rps >= 0.5,
    command: cmd,
    notes: setup + (bad.length ? `; failed responses in the measured runs: ${bad.join(', ')}` : '; no failed responses'),
  },
  {
    bench: 'throughput',
    figure: 'Warm hello world, atoll vs workerd',
    value: atoll.rps,
    unit: 'req/s',
    baseline: 'workerd',
    baselineValue: workerd.rps,
    ratio: atoll.rps / workerd.rps,
    target: '(comparison only)',
    met: null,
    command: cmd,
    notes: `workerd vs bare node:http: ${(workerd.rps / bare.rps).toFixed(3)}`,
  },
  {
    bench: 'throughput',
    figure: 'Warm hello world, node:http + one isolated-vm call per request vs bare node:http',
    value: floor.rps,
    unit: 'req/s',
    baseline: 'bare node:http',
    baselineValue: bare.rps,
    ratio: floor.rps / bare.rps,
    target: '(report: the ceiling of any design on isolated-vm)',
    met: null,
    command: cmd,
    notes: `bench/servers/ivm-floor.ts: the request copied into an isolate, the answer copied out, nothing else; atoll vs this floor: ${(atoll.rps / floor.rps).toFixed(3)}; server CPU ${median(floor.cpuUsPerReq).toFixed(0)} us/req`,
  },
  {
    bench: 'throughput',
    figure: 'Server CPU per warm hello-world request, atoll vs bare node:http',
    value: median(atoll.cpuUsPerReq),
    unit: 'us',
    baseline: 'bare node:http',
    baselineValue: median(bare.cpuUsPerReq),
    ratio: median(atoll.cpuUsPerReq) / median(bare.cpuUsPerReq),
    target: '(report)',
    met: null,
    command: cmd,
    notes: `all threads of the server process, from /proc/<pid>/stat (10 ms ticks) over the measured runs; workerd ${median(workerd.cpuUsPerReq).toFixed(0)} us/req`,
  },
];
const stats = atoll.stats.map((s) => ({
  ...s,
  mainThreadCpuUsPerReq: (s.mainThreadElu * s.wallMs * 1000) / s.requests,
  isolateCpuUsPerReq: (s.isolateCpuMs * 1000) / s.requests,
  processCpuUsPerReq: (s.processCpuMs * 1000) / s.requests,
}));
for (const s of stats) {
  console.log(`atoll server: ${s.requests} requests; main-thread event loop busy ${(s.mainThreadElu * 100).toFixed(1)}% (~${s.mainThreadCpuUsPerReq.toFixed(1)} us/req), isolate CPU ${s.isolateCpuUsPerReq.toFixed(1)} us/req, whole process CPU ${s.processCpuUsPerReq.toFixed(1)} us/req`);
}
const threadsNote = (s: Target) => {
  const names = [...new Set(s.threadUsPerReq.flatMap((t) => Object.keys(t)))];
  return names
    .map((n) => [n, median(s.threadUsPerReq.map((t) => t[n] ?? 0))] as const)
    .filter(([, v]) => v >= 1)
    .sort((a, b) => b[1] - a[1])
    .map(([n, v]) => `${n} ${v.toFixed(0)}`)
    .join(', ');
};
for (const s of servers) console.log(`${s.name}: server CPU per request by thread (us, median of rounds): ${threadsNote(s)}`);
rows[2].notes += `. By thread (us/req, /proc/<pid>/task): atoll ${threadsNote(atoll)}; bare ${threadsNote(bare)}`;
report('throughput', rows, {
  runs: Object.fromEntries(servers.map((s) => [s.name, s.runs])),
  cpuUsPerReq: Object.fromEntries(servers.map((s) => [s.name, s.cpuUsPerReq])),
  threadUsPerReq: Object.fromEntries(servers.map((s) => [s.name, s.threadUsPerReq])),
  atollServerStats: stats,
});
