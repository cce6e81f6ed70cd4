// Cold start as a request for a never-seen worker experiences it. A server process
// (atoll's serving path) creates a worker from a ~100 KB bundle when the first request
// for it arrives, then serves that request; a client process times the request over a
// kept-alive loopback connection. Warm requests to an already-loaded worker of the same
// size are interleaved as the baseline. Run twice: with spare isolates ready (the
// default pool) and with none (every cold start boots an isolate from the snapshot).
// A third process measures the prelude's own start cost, against a bare isolate, and the
// bundle's own part of a cold start: its cached code compiled and its top level run in a
// fresh context, with none of the platform's per-worker work.
//
// Each bundle is on the server before its request (an edge has fetched it at deploy),
// so the figure is isolate + context + compiling and running the tenant's top level +
// the request itself. With `--code-cache` (the first, target phase) the upload step
// also runs WorkerIsolate.prepareCode, as a deploy can: the bundle's script form and V8
// code cache exist, but no isolate for it does, so the request still starts one and runs
// the top level. The other phases have no code cache (a bundle never seen at all).
//
//   node_modules/.bin/node --no-node-snapshot bench/cold-start.ts [--quick] [--samples 300] [--gap 50]

import { Agent } from 'node:http';
import ivm from '../src/runtime/ivm.ts';
import { listen, quietServices, serveSlot, workerDef, WorkerSlot, HELLO_WORKER } from './lib/atoll-server.ts';
import { generateBundle } from './lib/bundle.ts';
import { command, flag, median, NODE, numFlag, QUICK, report, ROOT, sleep, startChild, summary, timedGet, type ResultRow } from './lib/harness.ts';
import { newIsolate, preludeSnapshot, setSpareTarget, warmPool } from '../src/runtime/isolate-pool.ts';
import { preludeBundle } from '../src/runtime/prelude-bundle.ts';
import { WorkerIsolate } from '../src/runtime/worker-isolate.ts';
import { codeCacheKey, lookupCode } from '../src/runtime/code-cache.ts';

const role = flag('role', 'driver');

if (role === 'server') await server();
else if (role === 'prelude') await preludeCost();
else await driver();

// --- server process ---------------------------------------------------------------

async function server(): Promise<void> {
  const spares = Number(flag('spares', '2'));
  const codeCache = flag('code-cache', 'no') === 'yes';
  setSpareTarget(spares);
  if (spares > 0) warmPool();
  else preludeSnapshot();
  const services = quietServices();
  const warm = await WorkerSlot.create(workerDef('warm', generateBundle('warm')), services);
  const prepared = new Map<string, string>();
  const samples: { id: string; createMs: number; serveMs: number }[] = [];
  const { port } = await listen(async (req, res) => {
    const url = req.url ?? '/';
    if (url === '/warm') return serveSlot(warm, req, res);
    if (url.startsWith('/prepare/')) {
      const id = url.slice('/prepare/'.length);
      const code = generateBundle(id);
      prepared.set(id, code);
      if (codeCache) await WorkerIsolate.prepareCode(workerDef(id, code), services);
      res.end('ok');
      return;
    }
    if (url === '/__bench/samples') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(samples));
      return;
    }
    const m = /^\/w\/([^/]+)/.exec(url);
    if (!m || !prepared.has(m[1])) {
      res.writeHead(404);
      res.end();
      return;
    }
    const id = m[1];
    const t0 = performance.now();
    const slot = await WorkerSlot.create(workerDef(id, prepared.get(id)!), services);
    const createMs = performance.now() - t0;
    prepared.delete(id);
    res.once('finish', () => {
      samples.push({ id, createMs, serveMs: performance.now() - t0 });
      // Gone once served, so the process does not grow sample by sample.
      setTimeout(() => slot.current.dispose(), 1);
    });
    await serveSlot(slot, req, res);
  });
  console.log(`listening ${port}`);
  process.on('SIGTERM', () => process.exit(0));
}

// --- prelude start cost -------------------------------------------------------------

async function preludeCost(): Promise<void> {
  const reps = Number(flag('reps', '20'));
  const bundle = preludeBundle();
  let t = performance.now();
  const snap = ivm.Isolate.createSnapshot([{ code: bundle.code, filename: 'atoll:prelude.js' }]);
  const snapshotMs = performance.now() - t;
  const fromSnapshot: number[] = [];
  const context: number[] = [];
  const bareIsolate: number[] = [];
  const bareContext: number[] = [];
  const noSnapshotEval: number[] = [];
  const workerCreate: number[] = [];
  const bundleEval: number[] = [];
  const bundleCreate: number[] = [];
  const bundleCreateSpare: number[] = [];
  setSpareTarget(0);
  preludeSnapshot();
  const services = quietServices();
  for (let i = 0; i < reps; i++) {
    t = performance.now();
    const iso = new ivm.Isolate({ snapshot: snap, memoryLimit: 128 });
    fromSnapshot.push(performance.now() - t);
    t = performance.now();
    const ctx = await iso.createContext();
    context.push(performance.now() - t);
    ctx.release();
    iso.dispose();

    t = performance.now();
    const bare = new ivm.Isolate({ memoryLimit: 128 });
    bareIsolate.push(performance.now() - t);
    t = performance.now();
    const bctx = await bare.createContext();
    bareContext.push(performance.now() - t);
    // The prelude without a snapshot: compile and run it in the bare context.
    t = performance.now();
    const script = await bare.compileScript(bundle.code, { filename: 'atoll:prelude.js' });
    await script.run(bctx);
    noSnapshotEval.push(performance.now() - t);
    bare.dispose();

    t = performance.now();
    const w = await WorkerIsolate.create(workerDef(`hello${i}`, HELLO_WORKER), services);
    workerCreate.push(performance.now() - t);
    w.dispose();

    // The tenant's part: the 100 KB bundle compiled, linked and evaluated in a bare context.
    const code = generateBundle(`p${i}`);
    const tenantIso = new ivm.Isolate({ memoryLimit: 128 });
    const tctx = await tenantIso.createContext();
    t = performance.now();
    const mod = await tenantIso.compileModule(code, { filename: 'index.js' });
    await mod.instantiate(tctx, () => { throw new Error('no imports'); });
    await mod.evaluate();
    bundleEval.push(performance.now() - t);
    tenantIso.dispose();

    t = performance.now();
    const bw = await WorkerIsolate.create(workerDef(`b${i}`, generateBundle(`b${i}`)), services);
    bundleCreate.push(performance.now() - t);
    bw.dispose();
  }
  // With spare isolates ready (refilled between samples).
  setSpareTarget(2);
  warmPool();
  for (let i = 0; i < reps; i++) {
    await sleep(60);
    const code = generateBundle(`s${i}`);
    t = performance.now();
    const bw = await WorkerIsolate.create(workerDef(`s${i}`, code), services);
    bundleCreateSpare.push(performance.now() - t);
    bw.dispose();
  }
  // Spares ready and the bundle's code cache made ahead (WorkerIsolate.prepareCode);
  // and the tenant's own part of that: the same script form and cached data compiled and
  // run in a fresh context, with none of the platform's per-worker work.
  const bundleCreateCached: number[] = [];
  const bundleCachedBare: number[] = [];
  for (let i = 0; i < reps; i++) {
    const d = workerDef(`k${i}`, generateBundle(`k${i}`));
    await WorkerIsolate.prepareCode(d, services);
    await sleep(60);
    t = performance.now();
    const bw = await WorkerIsolate.create(d, services);
    bundleCreateCached.push(performance.now() - t);
    bw.dispose();
    const entry = lookupCode(codeCacheKey(d.modules[0].content as string, 'file:///index.js'));
    if (!entry?.data) throw new Error('prepareCode left no cached data');
    // From the prelude's snapshot (V8 takes cached data only in an isolate from the same
    // snapshot), but not booted: no bridge, no task queue, no worker set up.
    const bareIso = newIsolate(128);
    const bareCtx = await bareIso.createContext();
    await sleep(20);
    t = performance.now();
    const script = await bareIso.compileScript(entry.code, { filename: 'file:///index.js', cachedData: new ivm.ExternalCopy(entry.data.slice().buffer as ArrayBuffer) });
    await script.run(bareCtx);
    bundleCachedBare.push(performance.now() - t);
    if ((script as ivm.Script & { cachedDataRejected?: boolean }).cachedDataRejected) throw new Error('V8 rejected the cached data');
    bareIso.dispose();
  }
  console.log('result ' + JSON.stringify({
    preludeBytes: bundle.code.length,
    snapshotBytes: snap.copy().byteLength,
    buildMs: bundle.buildMs,
    snapshotMs,
    isolateFromSnapshotMs: median(fromSnapshot),
    contextMs: median(context),
    bareIsolateMs: median(bareIsolate),
    bareContextMs: median(bareContext),
    preludeEvalNoSnapshotMs: median(noSnapshotEval),
    helloWorkerCreateNoSpareMs: median(workerCreate),
    bundleEvalBareMs: median(bundleEval),
    bundleWorkerCreateNoSpareMs: median(bundleCreate),
    bundleWorkerCreateSpareMs: median(bundleCreateSpare),
    bundleWorkerCreateCachedMs: median(bundleCreateCached),
    bundleCachedBareMs: median(bundleCachedBare),
  }));
}

// --- driver -------------------------------------------------------------------------

interface Phase {
  cold: number[];
  warm: number[];
  server: { createMs: number; serveMs: number }[];
  /** Requests that did not get their 200 (kept out of the figures, reported). */
  failures: string[];
}

async function measure(spares: number, samples: number, gapMs: number, codeCache: boolean): Promise<Phase> {
  const child = startChild(NODE, ['--no-node-snapshot', `${ROOT}bench/cold-start.ts`, '--role', 'server', '--spares', String(spares), '--code-cache', codeCache ? 'yes' : 'no']);
  try {
    const port = Number((await child.waitFor(/^listening (\d+)/, 60_000))[1]);
    const base = `http://127.0.0.1:${port}`;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const phase: Phase = { cold: [], warm: [], server: [], failures: [] };
    // Warm the connection, the server's JIT and the warm worker first.
    for (let i = 0; i < 20; i++) await timedGet(`${base}/warm`, agent);
    await sleep(200);
    const tag = `${process.pid}-${spares}-${codeCache ? 'cc' : 'none'}`;
    for (let i = 0; i < samples; i++) {
      const id = `c${tag}-${i}`;
      await timedGet(`${base}/prepare/${id}`, agent);
      await sleep(gapMs);
      const cold = await timedGet(`${base}/w/${id}`, agent);
      if (cold.status === 200 && cold.body.endsWith(id)) phase.cold.push(cold.ms);
      else phase.failures.push(`cold ${cold.status} ${cold.headers['atoll-error'] ?? cold.body.slice(0, 100)}`);
      await sleep(gapMs);
      const warm = await timedGet(`${base}/warm`, agent);
      if (warm.status === 200) phase.warm.push(warm.ms);
      else phase.failures.push(`warm ${warm.status} ${warm.headers['atoll-error'] ?? warm.body.slice(0, 100)}`);
    }
    phase.server = JSON.parse((await timedGet(`${base}/__bench/samples`, agent)).body);
    agent.destroy();
    return phase;
  } finally {
    await child.stop();
  }
}

async function driver(): Promise<void> {
  const samples = numFlag('samples', 300, 30);
  const gapMs = numFlag('gap', 50, 30);
  const bundleBytes = generateBundle('size-probe').length;

  const preludeChild = startChild(NODE, ['--no-node-snapshot', `${ROOT}bench/cold-start.ts`, '--role', 'prelude', '--reps', QUICK ? '5' : '20']);
  const prelude = JSON.parse((await preludeChild.waitFor(/^result (.*)$/, 120_000))[1]);
  await preludeChild.stop();

  const cached = await measure(2, samples, gapMs, true);
  const withSpares = await measure(2, samples, gapMs, false);
  const noSpares = await measure(0, Math.max(10, Math.round(samples * 2 / 3)), gapMs, false);

  const cc = summary(cached.cold);
  const cw = summary(cached.warm);
  const ccCreate = summary(cached.server.map((s) => s.createMs));
  const cs = summary(withSpares.cold);
  const ws = summary(withSpares.warm);
  const ns = summary(noSpares.cold);
  const nws = summary(noSpares.warm);
  const srvCreate = summary(withSpares.server.map((s) => s.createMs));
  const srvServe = summary(withSpares.server.map((s) => s.serveMs));
  const nsCreate = summary(noSpares.server.map((s) => s.createMs));
  console.log(`bundle: ${bundleBytes} bytes`);
  console.log(`code cache from upload, spares ready: client cold ${JSON.stringify(round(cc))} warm ${JSON.stringify(round(cw))}; server create ${JSON.stringify(round(ccCreate))}`);
  console.log(`spares ready: client cold ${JSON.stringify(round(cs))} warm ${JSON.stringify(round(ws))}; server create ${JSON.stringify(round(srvCreate))} serve ${JSON.stringify(round(srvServe))}`);
  console.log(`no spare: client cold ${JSON.stringify(round(ns))} warm ${JSON.stringify(round(nws))}; server create ${JSON.stringify(round(nsCreate))}`);
  console.log(`prelude: ${JSON.stringify(prelude)}`);

  const cmd = command('cold-start');
  const failures = (p: Phase) => (p.failures.length ? `; ${p.failures.length} request(s) failed and are left out: ${[...new Set(p.failures)].join(', ')}` : '; no failed requests');
  for (const [name, p] of [['code cache', cached], ['spares ready', withSpares], ['no spare', noSpares]] as const) if (p.failures.length) console.log(`${name}: ${p.failures.length} failed: ${p.failures.join('; ')}`);
  const note = `${bundleBytes} B bundle, ${cs.n} cold requests ${gapMs} ms apart, kept-alive loopback connection${failures(withSpares)}`;
  const row = (figure: string, value: number, baseline: string, baselineValue: number, target: string, met: boolean | null, notes?: string): ResultRow => ({
    bench: 'cold-start', figure, value, unit: 'ms', baseline, baselineValue, ratio: value / baselineValue, target, met, command: cmd, notes,
  });
  const rows: ResultRow[] = [
    row('Cold start p50, spare isolates ready, code cache made at upload', cc.p50, 'warm request p50 (same size worker)', cw.p50, '<= 5 ms', cc.p50 <= 5, `${cc.n} cold requests; the upload step ran WorkerIsolate.prepareCode (script form + V8 code cache, no isolate kept); server-side worker create p50 ${ccCreate.p50.toFixed(2)} ms${failures(cached)}`),
    row('Cold start p99, spare isolates ready, code cache made at upload', cc.p99, 'warm request p99', cw.p99, '<= 15 ms', cc.p99 <= 15, `server-side worker create p99 ${ccCreate.p99.toFixed(2)} ms`),
    row('Cold start p50, spare isolates ready, no code cache', cs.p50, 'warm request p50 (same size worker)', ws.p50, '(report)', null, `${note}; server-side worker create p50 ${srvCreate.p50.toFixed(2)} ms`),
    row('Cold start p99, spare isolates ready, no code cache', cs.p99, 'warm request p99', ws.p99, '(report)', null, `server-side worker create p99 ${srvCreate.p99.toFixed(2)} ms`),
    row('Cold start p50, no spare isolate, no code cache', ns.p50, 'warm request p50', nws.p50, '(report)', null, `${ns.n} samples; server-side worker create p50 ${nsCreate.p50.toFixed(2)} ms${failures(noSpares)}`),
    row('Cold start p99, no spare isolate, no code cache', ns.p99, 'warm request p99', nws.p99, '(report)', null, `server-side worker create p99 ${nsCreate.p99.toFixed(2)} ms`),
    row('Prelude: bundle build (esbuild, once per process)', prelude.buildMs, 'bare isolate + context', prelude.bareIsolateMs + prelude.bareContextMs, '(report)', null, `${prelude.preludeBytes} B of prelude`),
    row('Prelude: snapshot creation (once per process)', prelude.snapshotMs, 'bare isolate + context', prelude.bareIsolateMs + prelude.bareContextMs, '(report)', null, `${prelude.snapshotBytes} B snapshot`),
    row('Prelude: isolate from snapshot', prelude.isolateFromSnapshotMs, 'bare isolate (no snapshot)', prelude.bareIsolateMs, '(report)', null, 'median'),
    row('Prelude: context creation in a snapshot isolate', prelude.contextMs, 'bare context', prelude.bareContextMs, '(report)', null, 'median'),
    row('Prelude: compile + run without a snapshot', prelude.preludeEvalNoSnapshotMs, 'isolate from snapshot + context', prelude.isolateFromSnapshotMs + prelude.contextMs, '(report)', null, 'median; what the snapshot saves'),
    row('Hello worker create, no spare (WorkerIsolate.create)', prelude.helloWorkerCreateNoSpareMs, 'bare isolate + context', prelude.bareIsolateMs + prelude.bareContextMs, '(report)', null, 'median, in-process, no HTTP'),
    row('100 KB worker create, spares ready, code cache made ahead (WorkerIsolate.create)', prelude.bundleWorkerCreateCachedMs, 'the bundle compiled + evaluated in a bare context', prelude.bundleEvalBareMs, '(report)', null, 'median, in-process, no HTTP; the script form compiled with V8 cached data, then its top level run'),
    row('100 KB bundle\'s own part: its script form compiled from the code cache and its top level run, in a fresh context (no platform work)', prelude.bundleCachedBareMs, '100 KB worker create, spares ready, code cache made ahead', prelude.bundleWorkerCreateCachedMs, '(report: what no platform can take off a cold start of this bundle)', null, 'median, in-process, no HTTP; the same script form and cached data the worker create used'),
    row('100 KB worker create, spares ready (WorkerIsolate.create)', prelude.bundleWorkerCreateSpareMs, 'the bundle compiled + evaluated in a bare context', prelude.bundleEvalBareMs, '(report)', null, `median, in-process, no HTTP; without a spare ${prelude.bundleWorkerCreateNoSpareMs.toFixed(2)} ms. The rest of a cold start is the platform's: context ${prelude.contextMs.toFixed(2)} ms, prelude boot, module loading`),
  ];
  report('cold-start', rows, { bundleBytes, codeCache: { cold: cc, warm: cw, serverCreate: ccCreate }, withSpares: { cold: cs, warm: ws, serverCreate: srvCreate, serverServe: srvServe }, noSpares: { cold: ns, warm: nws, serverCreate: nsCreate }, prelude });
}

function round(s: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Math.round(v * 100) / 100]));
}
