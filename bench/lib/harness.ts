// What every benchmark script shares: flags, child processes for servers, the wrk load
// generator, statistics, /proc memory readings, and the result rows that run-all.ts
// turns into bench/RESULTS.md.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import * as os from 'node:os';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const OUT_DIR = ROOT + 'bench/out/';
export const NODE = process.execPath;

export const QUICK = process.argv.includes('--quick');

/** `--name value` from argv, or the fallback. */
export function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

export function numFlag(name: string, full: number, quick: number): number {
  return Number(flag(name, String(QUICK ? quick : full)));
}

/** One line of the results table. */
export interface ResultRow {
  /** The benchmark script, e.g. "throughput". */
  bench: string;
  figure: string;
  value: number;
  unit: string;
  /** What the value is compared with, measured in the same run. */
  baseline: string;
  baselineValue: number | null;
  /** value / baselineValue, or a ratio defined by the row (noted in `ratioNote`). */
  ratio: number | null;
  ratioNote?: string;
  /** The target from issue 2, as text, and whether the value meets it. */
  target: string;
  met: boolean | null;
  command: string;
  notes?: string;
}

export function command(script: string): string {
  return `node_modules/.bin/node --no-node-snapshot bench/${script}.ts${QUICK ? ' --quick' : ''}`;
}

/** Prints the rows and writes them to bench/out/<bench>.json for run-all.ts. */
export function report(bench: string, rows: ResultRow[], extra: Record<string, unknown> = {}): void {
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(`${OUT_DIR}${bench}.json`, JSON.stringify({ bench, quick: QUICK, date: new Date().toISOString(), rows, extra }, null, 2) + '\n');
  console.log(`\n== ${bench}${QUICK ? ' (quick)' : ''}`);
  for (const r of rows) {
    const ratio = r.ratio === null ? '' : ` ratio ${fmt(r.ratio, 3)}${r.ratioNote ? ` (${r.ratioNote})` : ''}`;
    const base = r.baselineValue === null ? r.baseline : `${r.baseline} ${fmt(r.baselineValue)} ${r.unit}`;
    const met = r.met === null ? '' : r.met ? ' MET' : ' NOT MET';
    console.log(`${r.figure}: ${fmt(r.value)} ${r.unit} | baseline ${base} |${ratio} | target ${r.target}${met}`);
  }
}

export function fmt(n: number, digits?: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (digits !== undefined) return n.toFixed(digits);
  const a = Math.abs(n);
  return a >= 1000 ? Math.round(n).toString() : a >= 100 ? n.toFixed(1) : a >= 1 ? n.toFixed(2) : n.toFixed(3);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summary(samples: number[]): { n: number; p50: number; p90: number; p99: number; max: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s[s.length - 1],
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

export function median(xs: number[]): number {
  return percentile([...xs].sort((a, b) => a - b), 50);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resident set size of a process, bytes, from /proc (VmRSS, or VmHWM for the peak). */
export function procMemory(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!m) throw new Error(`no ${field} for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** Total CPU (user + system) a process has used, ms, from /proc/<pid>/stat. */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/**
 * CPU (ms) per thread group of a process, from /proc/<pid>/task: "main thread" for the
 * thread whose id is the pid, otherwise the thread's name (V8Worker, ...), summed.
 */
export function procThreadsCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      let name = Number(tid) === pid ? 'main thread' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      // isolated-vm's own threads (where isolates run) keep the name of the thread that made them.
      if (name === 'MainThread') name = 'isolated-vm threads';
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + ((Number(fields[11]) + Number(fields[12])) * 1000) / 100);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** b - a, per key. */
export function diffMaps(a: Map<string, number>, b: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of b) out.set(k, v - (a.get(k) ?? 0));
  return out;
}

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** Resolves with the first stdout line matching `re` (its match). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Every stdout line so far. */
  lines: string[];
  stop(): Promise<void>;
}

/** Starts a child process; stdout is read line by line, stderr passes through. */
export function startChild(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Child {
  const proc = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve(m: RegExpMatchArray): void }[] = [];
  let stderr = '';
  const name = args.find((a) => a.endsWith('.ts'))?.replace(/^.*\//, '') ?? cmd.replace(/^.*\//, '');
  proc.stderr!.on('data', (d) => {
    stderr += d;
    if (stderr.length > 20000) stderr = stderr.slice(-20000);
    // Children's complaints are shown as they come (prefixed), not swallowed.
    process.stderr.write(String(d).replace(/^(?=.)/gm, `[${name} ${proc.pid}] `));
  });
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of [...waiters]) {
      const m = w.re.exec(line);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    pid: proc.pid!,
    lines,
    waitFor(re, timeoutMs = 30_000) {
      for (const l of lines) {
        const m = re.exec(l);
        if (m) return Promise.resolve(m);
      }
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`${cmd} ${args.join(' ')}: no line matching ${re} within ${timeoutMs} ms\nstderr: ${stderr}`)), timeoutMs);
        proc.once('exit', (code) => { clearTimeout(t); reject(new Error(`${cmd} exited (${code}) before printing ${re}\nstderr: ${stderr}`)); });
        waiters.push({ re, resolve: (m) => { clearTimeout(t); resolve(m); } });
      });
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** A bench server script (bench/servers/<name>.ts) in its own Node process; it prints "listening <port>". */
export async function startNodeServer(script: string, args: string[] = [], nodeFlags: string[] = []): Promise<Child & { url: string; port: number }> {
  const child = startChild(NODE, ['--no-node-snapshot', '--expose-gc', ...nodeFlags, `${ROOT}bench/servers/${script}.ts`, ...args]);
  const m = await child.waitFor(/^listening (\d+)/, 60_000);
  const port = Number(m[1]);
  return Object.assign(child, { port, url: `http://127.0.0.1:${port}` });
}

/** Installs wrk from Debian's packages when it is missing (the machine runs as root). */
export function ensureWrk(): string {
  const found = spawnSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' });
  if (found.status === 0) return found.stdout.trim();
  console.error('wrk is missing: apt-get install -y wrk');
  let r = spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'inherit' });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update'], { stdio: 'inherit' });
    r = spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'inherit' });
  }
  if (r.status !== 0) throw new Error('could not install wrk (apt-get install -y wrk)');
  return 'wrk';
}

export interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  errors: number;
  non2xx: number;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

/**
 * Runs wrk against a loopback URL for a bounded time and parses its report. A Host header
 * must be spelled `Host`: wrk adds its own unless one is named exactly that, and which of
 * two Host lines comes first varies from one wrk run to the next.
 */
export async function runWrk(url: string, opts: { seconds: number; connections: number; threads: number; headers?: Record<string, string> }): Promise<WrkResult> {
  if (!/^http:\/\/127\.0\.0\.1:/.test(url)) throw new Error(`load only ever goes to loopback, not ${url}`);
  const wrk = ensureWrk();
  const args = ['-t', String(opts.threads), '-c', String(opts.connections), '-d', `${opts.seconds}s`, '--timeout', '5s', '--latency', ...Object.entries(opts.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(wrk, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let s = '';
    p.stdout.on('data', (d) => { s += d; });
    const kill = setTimeout(() => p.kill('SIGKILL'), (opts.seconds + 30) * 1000);
    p.on('exit', (code) => { clearTimeout(kill); code === 0 ? resolve(s) : reject(new Error(`wrk exited ${code}: ${s}`)); });
  });
  const reqs = /(\d+) requests in ([\d.]+)(s|m)/.exec(out);
  if (!reqs) throw new Error(`cannot parse wrk output:\n${out}`);
  const seconds = Number(reqs[2]) * (reqs[3] === 'm' ? 60 : 1);
  const p50 = /^\s+50%\s+(\S+)/m.exec(out);
  const p99 = /^\s+99%\s+(\S+)/m.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  return {
    requests: Number(reqs[1]),
    seconds,
    rps: Number(reqs[1]) / seconds,
    latencyP50Ms: p50 ? toMs(p50[1]) : NaN,
    latencyP99Ms: p99 ? toMs(p99[1]) : NaN,
    errors: sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    non2xx: non2xx ? Number(non2xx[1]) : 0,
  };
}

/** One HTTP GET over a fresh or kept-alive connection; resolves with status, body and ms. */
export async function timedGet(url: string, agent?: import('node:http').Agent): Promise<{ status: number; body: string; ms: number; headers: import('node:http').IncomingHttpHeaders }> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - t0, headers: res.headers }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

export function machine(): { nproc: number; node: string; cpu: string; date: string; loadavg: string } {
  return {
    nproc: os.availableParallelism(),
    node: process.version,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    date: new Date().toISOString(),
    loadavg: os.loadavg().map((l: number) => l.toFixed(2)).join(' '),
  };
}
