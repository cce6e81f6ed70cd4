// Where the warm path spends its time: the atoll hello-world server (its own process)
// runs under `--cpu-prof` (its main thread) and isolated-vm's CPU profiler (the isolate's
// threads) while wrk drives it; this script sums both profiles, over the measured window
// only, by function (self and inclusive time) and by area (node:http, the runtime, the
// prelude, GC, idle), per request. Not a figure for RESULTS.md: a tool for finding the
// bottleneck.
//
//   node_modules/.bin/node --no-node-snapshot bench/profile-warm.ts [--seconds 10] [--top 25]

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { numFlag, OUT_DIR, runWrk, startNodeServer, timedGet } from './lib/harness.ts';

interface CallFrame { functionName: string; url: string; lineNumber: number }
interface ProfileNode { id: number; callFrame: CallFrame; children?: number[] }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const seconds = numFlag('seconds', 10, 3);
const top = numFlag('top', 25, 15);
const dir = `${OUT_DIR}prof/`;
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const isolateFile = `${dir}isolate.json`;
const server = await startNodeServer('atoll', ['--worker', 'hello', '--isolate-prof', isolateFile], ['--cpu-prof', '--cpu-prof-dir', dir]);
let stats: { requests: number; wallMs: number; mainThreadElu: number; processCpuMs: number; isolateCpuMs: number; monotonicUs: number };
let rps = 0;
let windowStart = 0;
try {
  await runWrk(server.url + '/', { seconds: 2, connections: 50, threads: 1 });
  windowStart = Number((await timedGet(server.url + '/__bench/reset')).body);
  const r = await runWrk(server.url + '/', { seconds, connections: 50, threads: 1 });
  rps = r.rps;
  stats = JSON.parse((await timedGet(server.url + '/__bench/stats')).body);
} finally {
  await server.stop();
}
const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`no profile written in ${dir}`);
const profile = JSON.parse(readFileSync(dir + file, 'utf8')) as Profile;

interface Tally { self: Map<string, number>; inclusive: Map<string, number>; area: Map<string, number>; total: number }

/** Sums a profile's samples (within [from, to] us, when given) by function and by area. */
function tally(profile: Profile, from = -Infinity, to = Infinity): Tally {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const out: Tally = { self: new Map(), inclusive: new Map(), area: new Map(), total: 0 };
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < from || t > to) continue;
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000; // ms attributed to sample i
    const node = byId.get(profile.samples[i])!;
    out.total += dt;
    add(out.self, key(node.callFrame), dt);
    add(out.area, areaOf(node, byId, parent), dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const k = key(byId.get(id)!.callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      add(out.inclusive, k, dt);
    }
  }
  return out;
}

function key(f: CallFrame): string {
  const line = f.lineNumber ?? (f as { lineNubmer?: number }).lineNubmer ?? 0;
  return `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}${f.url && !f.url.startsWith('atoll:') ? `:${line + 1}` : ''}`;
}

function shortUrl(url: string): string {
  return url.replace(/^file:\/\/.*?\/(src|bench)\//, '$1/');
}

/** The area a sample belongs to: its innermost frame that tells (ours, node's, native). */
function areaOf(node: ProfileNode, byId: Map<number, ProfileNode>, parent: Map<number, number>): string {
  const name = node.callFrame.functionName;
  if (name === '(idle)') return 'idle';
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)') return 'native (program)';
  if (name === '(root)') return 'root';
  for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
    const f = byId.get(id)!.callFrame;
    if (f.url.includes('/src/runtime/')) return `runtime: ${f.url.replace(/^.*\/src\/runtime\//, '')}`;
    if (f.url.includes('/bench/')) return 'bench server';
    if (f.url.startsWith('node:_http') || f.url.startsWith('node:internal/http')) return 'node:http';
    if (f.url.startsWith('node:internal/stream') || f.url === 'node:net') return 'node: net/streams';
    if (f.url.startsWith('atoll:')) return `isolate: ${f.url}`;
  }
  return name && !node.callFrame.url ? `native: ${name}` : 'other';
}

const requests = stats.requests;
const perReq = (ms: number) => `${((ms * 1000) / requests).toFixed(1)} us/req`;
const main = tally(profile, windowStart, stats.monotonicUs);

function print(title: string, t: Tally, ours: RegExp): void {
  const row = (k: string, v: number) => console.log(`  ${(100 * v / t.total).toFixed(1).padStart(5)}%  ${perReq(v).padStart(14)}  ${k}`);
  console.log(`\n${title}: by area`);
  for (const [k, v] of [...t.area].sort((a, b) => b[1] - a[1])) row(k, v);
  console.log(`${title}: top ${top} by self time`);
  for (const [k, v] of [...t.self].sort((a, b) => b[1] - a[1]).slice(0, top)) row(k, v);
  console.log(`${title}: top ${top} by inclusive time (ours)`);
  for (const [k, v] of [...t.inclusive].filter(([k]) => ours.test(k)).sort((a, b) => b[1] - a[1]).slice(0, top)) row(k, v);
}

const busy = main.total - (main.area.get('idle') ?? 0);
console.log(`\n${requests} requests in ${(stats.wallMs / 1000).toFixed(1)} s (${Math.round(rps)} req/s by wrk); main thread event loop busy ${(stats.mainThreadElu * 100).toFixed(1)}%`);
console.log(`main thread (profile): ${busy.toFixed(0)} ms not idle of ${main.total.toFixed(0)} ms = ${perReq(busy)}; isolate CPU (isolate.cpuTime) ${perReq(stats.isolateCpuMs)}; whole process CPU ${perReq(stats.processCpuMs)}`);
print('main thread', main, /src\/|bench\//);
if (existsSync(isolateFile)) {
  const threads = JSON.parse(readFileSync(isolateFile, 'utf8')) as { threadId: number; profile: Profile }[];
  if (threads.length === 0) console.log("\nisolate: isolated-vm returned no profile for the isolate (seen with tasks this short); bench/prelude-ops.ts measures the isolate side");
  for (const th of threads) print(`isolate (thread ${th.threadId}, same window)`, tally(th.profile, windowStart, stats.monotonicUs), /./);
}
console.log(`\nprofiles: ${dir} (open them in Chrome DevTools > Performance)`);
