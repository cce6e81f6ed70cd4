// Streaming: a client POSTs 256 MB and reads the same bytes back. atoll's worker pipes
// request.body through a TransformStream into its Response; the baseline is a bare
// node:http server piping req into res. Each server is its own process; the client (this
// process) writes 64 KB chunks with backpressure. Throughput is bytes / wall time of the
// whole exchange; peak RSS growth is the server's VmHWM (reset through clear_refs just
// before the transfer) minus its RSS at rest, cross-checked by polling VmRSS.
//
//   node_modules/.bin/node --no-node-snapshot bench/streaming.ts [--quick] [--mb 256] [--rounds 3]

import { request } from 'node:http';
import { writeFileSync } from 'node:fs';
import { command, diffMaps, median, numFlag, procCpuMs, procMemory, procThreadsCpuMs, report, startNodeServer, type ResultRow } from './lib/harness.ts';

const MB = 1024 * 1024;
const totalMb = numFlag('mb', 256, 32);
const rounds = numFlag('rounds', 3, 1);
const CHUNK = 64 * 1024;

interface Transfer {
  mbPerS: number;
  seconds: number;
  peakGrowthMb: number;
  polledPeakGrowthMb: number;
  /** CPU the server process (all threads) spent, from /proc. */
  serverCpuMs: number;
  /** The same by thread group (main thread, isolated-vm threads, V8Worker, ...). */
  threadsCpuMs: Record<string, number>;
  /** atoll only: CPU its isolate and its whole process spent on the transfer. */
  isolateCpuMs?: number;
  processCpuMs?: number;
}

function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

async function transfer(url: string, pid: number, mb = totalMb): Promise<Transfer> {
  const total = mb * MB;
  const cpu0 = procCpuMs(pid);
  const threads0 = procThreadsCpuMs(pid);
  const chunk = Buffer.alloc(CHUNK, 0x61);
  const rest = procMemory(pid);
  const hwmReset = resetPeak(pid);
  let polledPeak = rest;
  const poll = setInterval(() => { polledPeak = Math.max(polledPeak, procMemory(pid)); }, 10);
  const t0 = performance.now();
  const received = await new Promise<number>((resolve, reject) => {
    const req = request(url + '/', { method: 'POST', headers: { 'content-type': 'application/octet-stream' } }, (res) => {
      let n = 0;
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      res.on('data', (d: Buffer) => { n += d.length; });
      res.on('end', () => resolve(n));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(300_000, () => req.destroy(new Error('streaming request timed out')));
    let sent = 0;
    const write = () => {
      while (sent < total) {
        sent += CHUNK;
        if (!req.write(chunk)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  }).finally(() => clearInterval(poll));
  const seconds = (performance.now() - t0) / 1000;
  polledPeak = Math.max(polledPeak, procMemory(pid));
  if (received !== total) throw new Error(`sent ${total} bytes, got ${received} back`);
  const peak = hwmReset ? procMemory(pid, 'VmHWM') : polledPeak;
  return { mbPerS: mb / seconds, seconds, peakGrowthMb: (peak - rest) / MB, polledPeakGrowthMb: (polledPeak - rest) / MB, serverCpuMs: procCpuMs(pid) - cpu0, threadsCpuMs: Object.fromEntries(diffMaps(threads0, procThreadsCpuMs(pid))) };
}

const bare = await startNodeServer('bare-http', ['--mode', 'pipe']);
// The default 50 ms CPU limit stops this worker within the first ~30 MB (the isolate's
// share of the streaming work is charged to the request), so it gets a large one here.
const atoll = await startNodeServer('atoll', ['--worker', 'stream', '--cpu-ms', '300000']);
const runs: Record<string, Transfer[]> = { bare: [], atoll: [] };
const warm: Record<string, Transfer> = {};
const warmMb = Math.min(64, totalMb);
try {
  // Warm-up: a small echo, then a transfer of up to 64 MB through each. A fresh process
  // grows its heaps on its first large transfer; that growth is reported apart.
  for (const [name, s] of [['bare', bare], ['atoll', atoll]] as const) {
    const r = await fetch(s.url + '/', { method: 'POST', body: 'x'.repeat(100_000) });
    if ((await r.text()).length !== 100_000) throw new Error('warm-up echo mismatch');
    const w = await transfer(s.url, s.pid, warmMb);
    warm[name] = w;
    console.log(`warm-up ${name}: ${warmMb} MB at ${w.mbPerS.toFixed(1)} MB/s; peak RSS growth ${w.peakGrowthMb.toFixed(1)} MB`);
  }
  for (let i = 0; i < rounds; i++) {
    for (const [name, s] of [['bare', bare], ['atoll', atoll]] as const) {
      if (name === 'atoll') await fetch(s.url + '/__bench/reset');
      const t = await transfer(s.url, s.pid);
      if (name === 'atoll') {
        const st = (await (await fetch(s.url + '/__bench/stats')).json()) as { isolateCpuMs: number; processCpuMs: number };
        t.isolateCpuMs = st.isolateCpuMs;
        t.processCpuMs = st.processCpuMs;
      }
      runs[name].push(t);
      console.log(`round ${i + 1}/${rounds} ${name}: ${totalMb} MB in ${t.seconds.toFixed(2)} s = ${t.mbPerS.toFixed(1)} MB/s, server CPU ${t.serverCpuMs.toFixed(0)} ms; peak RSS growth ${t.peakGrowthMb.toFixed(1)} MB (polled ${t.polledPeakGrowthMb.toFixed(1)} MB)${t.isolateCpuMs === undefined ? '' : `; isolate CPU ${t.isolateCpuMs.toFixed(0)} ms, server process CPU ${t.processCpuMs!.toFixed(0)} ms`}`);
    }
  }
} finally {
  await bare.stop();
  await atoll.stop();
}

const atollMbps = median(runs.atoll.map((r) => r.mbPerS));
const bareMbps = median(runs.bare.map((r) => r.mbPerS));
const atollPeak = Math.max(...runs.atoll.map((r) => r.peakGrowthMb));
const barePeak = Math.max(...runs.bare.map((r) => r.peakGrowthMb));
const cmd = command('streaming');
const byThread = (ts: Transfer[]) =>
  [...new Set(ts.flatMap((t) => Object.keys(t.threadsCpuMs)))]
    .map((n) => [n, median(ts.map((t) => t.threadsCpuMs[n] ?? 0))] as const)
    .filter(([, v]) => v >= 10)
    .sort((a, b) => b[1] - a[1])
    .map(([n, v]) => `${n} ${v.toFixed(0)} ms`)
    .join(', ');
const rows: ResultRow[] = [
  {
    bench: 'streaming',
    figure: `Streaming ${totalMb} MB through a TransformStream, throughput`,
    value: atollMbps,
    unit: 'MB/s',
    baseline: 'bare node:http req.pipe(res)',
    baselineValue: bareMbps,
    ratio: atollMbps / bareMbps,
    target: '(report)',
    met: null,
    command: cmd,
    notes: `median of ${rounds} round(s), request and response bodies both streaming; CPU limit raised to 600 s (the isolate's clock charged ${median(runs.atoll.map((r) => r.isolateCpuMs!)).toFixed(0)} ms to the request; the default 50 ms limit stops it within the first ~30 MB)`,
  },
  {
    bench: 'streaming',
    figure: `Streaming ${totalMb} MB, peak server RSS growth`,
    value: atollPeak,
    unit: 'MB',
    baseline: 'bare node:http req.pipe(res)',
    baselineValue: barePeak,
    ratio: barePeak > 0 ? atollPeak / barePeak : null,
    target: '<= 64 MB',
    met: atollPeak <= 64,
    command: cmd,
    notes: `max over ${rounds} round(s) after a ${warmMb} MB warm-up transfer; VmHWM after clear_refs, minus RSS at rest. The warm-up (a fresh process's first large transfer, heaps growing) peaked at ${warm.atoll.peakGrowthMb.toFixed(1)} MB for atoll, ${warm.bare.peakGrowthMb.toFixed(1)} MB for bare node:http`,
  },
  {
    bench: 'streaming',
    figure: `Streaming ${totalMb} MB, server CPU`,
    value: median(runs.atoll.map((r) => r.serverCpuMs)),
    unit: 'ms',
    baseline: 'bare node:http req.pipe(res)',
    baselineValue: median(runs.bare.map((r) => r.serverCpuMs)),
    ratio: median(runs.atoll.map((r) => r.serverCpuMs)) / median(runs.bare.map((r) => r.serverCpuMs)),
    target: '(report)',
    met: null,
    command: cmd,
    notes: `all threads of the server process, median over rounds; atoll by thread: ${byThread(runs.atoll)}; bare: ${byThread(runs.bare)}`,
  },
];
report('streaming', rows, { runs, warm });
