// Runs every benchmark (each its own process, one after another) and rewrites
// bench/RESULTS.md from their results: one table of figures with their same-run
// baselines, ratios and targets, the machine, and the command to rerun each. A
// `--quick` run (short, for checking the scripts) writes bench/out/RESULTS.quick.md
// instead, leaving the recorded results alone. Text below the "kept" marker in
// RESULTS.md (hand-written analysis) survives a rewrite.
//
//   npm run bench [-- --quick] [-- --only throughput,memory] [-- --note "text"]
//   node_modules/.bin/node --no-node-snapshot bench/run-all.ts [--quick] [--only a,b] [--note "text"]

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { ensureWrk, flag, fmt, machine, NODE, OUT_DIR, QUICK, ROOT, type ResultRow } from './lib/harness.ts';

// Issue 2's figures, then other areas' benchmarks that report through lib/harness.ts,
// then issue 3's platform figures (atoll up embedded, driven through the REST API),
// then issue 6's distributed mode (real nats-server, atoll control and atoll edge processes).
const BENCHES = ['throughput', 'cold-start', 'memory', 'streaming', 'cpu-limit', 'kv', 'deploy-latency', 'routing', 'density', 'edge-kv', 'geo', 'compression', 'cache', 'cluster-propagation', 'cluster-cold-restart', 'cluster-throughput'];
const KEPT_MARKER = '<!-- Everything below this line is kept when run-all.ts rewrites this file. -->';

const only = flag('only', '').split(',').filter(Boolean);
const selected = only.length ? BENCHES.filter((b) => only.includes(b)) : BENCHES;
const note = flag('note', '');

ensureWrk();
const before = machine();
const failed: string[] = [];
for (const bench of selected) {
  console.log(`\n### ${bench}`);
  const t0 = Date.now();
  const r = spawnSync(NODE, ['--no-node-snapshot', `${ROOT}bench/${bench}.ts`, ...(QUICK ? ['--quick'] : [])], { cwd: ROOT, stdio: 'inherit', timeout: 30 * 60_000 });
  console.log(`### ${bench}: ${r.status === 0 ? 'done' : `FAILED (${r.status ?? r.signal})`} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (r.status !== 0) failed.push(bench);
}
const after = machine();

interface BenchFile {
  bench: string;
  quick: boolean;
  date: string;
  rows: ResultRow[];
}

const files: BenchFile[] = [];
for (const bench of BENCHES) {
  const path = `${OUT_DIR}${bench}.json`;
  if (!existsSync(path)) continue;
  const f = JSON.parse(readFileSync(path, 'utf8')) as BenchFile;
  // Results of the other mode (quick vs full) never mix into this table.
  if (f.quick === QUICK && !failed.includes(bench)) files.push(f);
}

const esc = (s: string) => s.replace(/\|/g, '\\|');
const lines: string[] = [];
lines.push('# Benchmark results', '');
lines.push(`Written by \`bench/run-all.ts\`${QUICK ? ' (--quick: short runs, for checking the scripts, not for quoting)' : ''}. Every figure is compared with a baseline measured in the same run; how each is measured is in the header comment of its script, and bench/README.md says how to run them.`, '');
lines.push('## Machine', '');
lines.push(`- nproc: ${before.nproc}; CPU: ${before.cpu}; memory: ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB`);
lines.push(`- node: ${before.node} (isolated-vm ${pkgVersion('isolated-vm')}, workerd ${pkgVersion('workerd')}, wrk from Debian)`);
lines.push(`- run: ${before.date} to ${after.date}; load average (1, 5, 15 min) ${before.loadavg} at the start, ${after.loadavg} at the end`);
const busy = Math.max(...[before.loadavg, after.loadavg].map((l) => Number(l.split(' ')[0]))) > before.nproc / 2;
lines.push(busy
  ? `- The machine was shared while this ran (the load averages above, on ${before.nproc} cores): other work ran beside the load generator and the server under test, so absolute numbers are noisy and low; the ratios, measured in the same run and (for throughput and streaming) interleaved round by round, and the CPU-per-request figures are the ones to read.`
  : '- The machine was otherwise quiet while this ran.');
if (note) lines.push(`- ${note}`);
if (failed.length) lines.push(`- FAILED in this run (no rows below): ${failed.join(', ')}`);
lines.push('');
lines.push('## Figures', '');
lines.push('| figure | value | baseline (same run) | ratio | target | met |');
lines.push('| --- | --- | --- | --- | --- | --- |');
for (const f of files) {
  for (const r of f.rows) {
    const base = r.baselineValue === null ? r.baseline : `${fmt(r.baselineValue)} ${r.unit} (${r.baseline})`;
    const ratio = r.ratio === null ? '-' : `${r.ratio.toFixed(3)}${r.ratioNote ? ` (${r.ratioNote})` : ''}`;
    const met = r.met === null ? '-' : r.met ? 'yes' : '**no**';
    lines.push(`| ${esc(r.figure)} | ${fmt(r.value)} ${r.unit} | ${esc(base)} | ${ratio} | ${esc(r.target)} | ${met} |`);
  }
}
lines.push('');
lines.push('## Notes and commands', '');
for (const f of files) {
  lines.push(`### ${f.bench}`, '');
  lines.push(`Run at ${f.date}. Rerun: \`${f.rows[0]?.command ?? `node_modules/.bin/node --no-node-snapshot bench/${f.bench}.ts`}\``, '');
  for (const r of f.rows) if (r.notes) lines.push(`- ${r.figure}: ${r.notes}`);
  lines.push('');
}
lines.push('All of them: `npm run bench` (6-8 minutes; `-- --quick` for a short check that writes bench/out/RESULTS.quick.md instead).', '');

const target = QUICK ? `${OUT_DIR}RESULTS.quick.md` : `${ROOT}bench/RESULTS.md`;
let kept = '';
if (existsSync(target)) {
  const old = readFileSync(target, 'utf8');
  const i = old.indexOf(KEPT_MARKER);
  if (i >= 0) kept = old.slice(i + KEPT_MARKER.length);
}
writeFileSync(target, lines.join('\n') + '\n' + KEPT_MARKER + (kept || '\n'));
console.log(`\nwrote ${target}${failed.length ? `; FAILED: ${failed.join(', ')}` : ''}`);
process.exitCode = failed.length ? 1 : 0;

function pkgVersion(name: string): string {
  try {
    return JSON.parse(readFileSync(`${ROOT}node_modules/${name}/package.json`, 'utf8')).version;
  } catch {
    return 'not installed';
  }
}
