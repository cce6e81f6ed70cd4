// One V8 isolate running one worker version, shared by that version's concurrent
// invocations. Every macrotask in the isolate is a host-initiated call made through the
// task queue here, one at a time, with a known owner invocation; the CPU time the
// isolate spends in a task is charged to that owner, and the watchdog stops the isolate
// when an owner goes over its limit (see docs/architecture.md, "CPU accounting").

import ivm from './ivm.ts';
import type { BindingSpec, ErrorInfo, IncomingRequest, TaskMessage, WorkerFormat, WorkerSetup } from '../shared/ops.ts';
import { OP_ERROR_MARK, POST_OPS } from '../shared/ops.ts';
import { Invocation } from './invocation.ts';
import type { HostStream } from './host-stream.ts';
import { internalError, OpError, UserError, type Outcome } from './errors.ts';
import { bundleBytes, loadModules, loadScript, moduleText, type ModuleSource } from './modules.ts';
import { cachedDataProduced, codeCacheKey, compileCachedScript, convertToScript, lookupCode, refreshCachedData, runCompiledScript, type CompiledScript } from './code-cache.ts';
import { onCatastrophe, takeIsolate, type ReadyContext } from './isolate-pool.ts';
import { asyncOps, syncOps, type HostServices, type OpContext } from './ops/index.ts';
import * as watchdog from './watchdog.ts';

export interface WorkerLimits {
  /** CPU time per invocation, ms. */
  cpuMs: number;
  /** Heap per isolate, MB. */
  memoryMb: number;
  /** Sub-requests (fetch, KV, cache calls) per invocation. */
  subrequests: number;
  /** CPU time for evaluating the worker's top level, ms. */
  startupMs: number;
  /** Size of the worker's code (all modules together), MB; checked before loading. */
  bundleMb: number;
  /** How long waitUntil work may run after the response, ms. */
  waitUntilMs: number;
}

function processCpuNs(): bigint {
  const { user, system } = process.cpuUsage();
  return BigInt(user + system) * 1000n;
}

// Limits come from configs and flags: a NaN or negative one would switch a check off.
const LIMIT_RANGES: Record<keyof WorkerLimits, [number, number]> = {
  cpuMs: [1, 300_000],
  memoryMb: [8, 16_384],
  subrequests: [0, 100_000],
  startupMs: [1, 300_000],
  bundleMb: [0.001, 1024],
  waitUntilMs: [0, 3_600_000],
};

function checkLimits(name: string, limits: WorkerLimits): void {
  for (const [key, [min, max]] of Object.entries(LIMIT_RANGES) as [keyof WorkerLimits, [number, number]][]) {
    const value = limits[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new UserError(`worker "${name}": limits.${key} must be a number from ${min} to ${max}, not ${JSON.stringify(value) ?? String(value)}`, 'invalid_limits');
    }
  }
}

export const DEFAULT_LIMITS: WorkerLimits = {
  cpuMs: 50,
  memoryMb: 128,
  subrequests: 50,
  startupMs: 400,
  bundleMb: 10,
  waitUntilMs: 30_000,
};

export interface WorkerDefinition {
  name: string;
  versionId: string;
  format: WorkerFormat;
  mainModule: string;
  modules: ModuleSource[];
  bindings: BindingSpec[];
  compatibilityDate: string;
  compatibilityFlags: string[];
  limits: WorkerLimits;
  /** Dev mode: exception details in response bodies. */
  dev: boolean;
}

type QueuedTask = {
  owner: Invocation | null;
  msg: TaskMessage;
  host?: undefined;
  /** Runs once the task is over (or dropped because the isolate died). */
  done?: () => void;
} | {
  owner: null;
  msg?: undefined;
  /**
   * Host work on the isolate's thread that runs no JavaScript (a compile): queued like a
   * task, it runs alone, so its time is charged to no invocation.
   */
  host: () => Promise<unknown>;
  done?: undefined;
};

const POSTED = new Set<string>(POST_OPS);
/** How long an isolate must be idle before it spends its thread on refreshing the code cache. */
const REFRESH_IDLE_MS = 200;

/**
 * Most tasks sent into the isolate at once. Each is its own isolated-vm call (its own
 * microtask checkpoint and unhandled-rejection report), but they are sent back to back
 * and awaited together: the threads hand over once per batch instead of once per task,
 * which is most of what a warm request costs (docs/architecture.md, "Tasks and CPU
 * accounting").
 */
const MAX_BATCH = 8;

/**
 * The request with its URL parsed here, where it is cheap, and marked so the prelude
 * does not parse it again (an absolute URL without credentials, serialized). Anything
 * else goes as it came, and the prelude's Request constructor reports it.
 */
function checkedUrl(request: IncomingRequest): IncomingRequest {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return request;
  }
  if (url.username !== '' || url.password !== '') return request;
  return { ...request, url: url.href, urlChecked: true };
}

/** Where a worker's code cache script form is keyed, when it can have one. */
interface ScriptSource {
  key: string;
  filename: string;
  source: string;
}

/**
 * The code cache takes a single ES module (outside dev, whose stack traces are mapped to
 * the user's files by bundle positions, which the script form moves); null for others.
 */
function scriptSource(def: WorkerDefinition): ScriptSource | null {
  const m = def.modules[0];
  if (def.dev || def.format !== 'modules' || def.modules.length !== 1 || m.type !== 'esm' || m.name !== def.mainModule) return null;
  const filename = `file:///${def.mainModule}`;
  const source = moduleText(m);
  return { key: codeCacheKey(source, filename), filename, source };
}

/** A worker's script form, its compile started before the boot. */
interface ScriptForm extends ScriptSource {
  compiled: Promise<CompiledScript | null>;
}

/** Tasks in flight in the isolate, and the clocks the split of their CPU time starts from. */
interface Batch {
  tasks: QueuedTask[];
  startCpu: bigint;
  startProcessCpu: bigint;
  /** Run once the batch is over and charged (end() of an owner with a task in it). */
  after: (() => void)[];
}

export class WorkerIsolate implements watchdog.Watched {
  /** Why the isolate stopped, once it has. */
  dead: Outcome | null = null;
  readonly invocations = new Set<Invocation>();
  readonly #invocationsById = new Map<number, Invocation>();
  readonly hostStreams = new Map<number, HostStream>();
  /** Host pulls waiting for an isolate stream's next chunk. */
  readonly pulls = new Map<number, { resolve(v: Uint8Array | null): void; reject(e: Error): void }>();
  #nextHostStream = 1;
  #queue: QueuedTask[] = [];
  #running = false;
  #batch: Batch | null = null;
  /**
   * Shared with the prelude: [index of the running task in the batch, unused, then the
   * isolate's CPU clock when each task of the batch began]. Written by the isolate's
   * thread as it moves from task to task.
   */
  readonly #board = new BigInt64Array(new SharedArrayBuffer(8 * (2 + MAX_BATCH)));
  #taskStartWall = 0;
  /** The running task as the watchdog last saw it, and the process's CPU clock then. */
  #seenSlot = -1;
  #seenSlotProcessCpu = 0n;
  #task!: ivm.Reference<(msg: TaskMessage, slot: number) => ErrorInfo | null>;
  /** Where the script form a worker was loaded from is cached, until its first request ends. */
  #loadedFrom: Pick<ScriptSource, 'key' | 'filename'> | null = null;
  #context!: ivm.Context;
  /** While the top level runs: the CPU clock at its start; the watchdog bounds it by startupMs. */
  #bootStartCpu: bigint | null = null;
  #bootStartProcessCpu = 0n;
  #bootOutcome: 'exceededCpu' | 'exceededMemory' | null = null;
  readonly createdAt = Date.now();

  readonly def: WorkerDefinition;
  readonly isolate: ivm.Isolate;
  readonly services: HostServices;

  private constructor(def: WorkerDefinition, isolate: ivm.Isolate, services: HostServices) {
    this.def = def;
    this.isolate = isolate;
    this.services = services;
  }

  /**
   * Boots an isolate (from the spare pool when one is ready, and `fromPool` allows) and
   * loads the worker's code.
   */
  static async create(def: WorkerDefinition, services: HostServices, fromPool = true): Promise<WorkerIsolate> {
    checkLimits(def.name, def.limits);
    const size = bundleBytes(def.modules);
    if (size > def.limits.bundleMb * 1024 * 1024) {
      throw new UserError(`worker "${def.name}" is ${(size / 1024 / 1024).toFixed(1)} MB; the bundle size limit is ${def.limits.bundleMb} MB`, 'bundle_too_large');
    }
    const { isolate, ready } = takeIsolate(def.limits.memoryMb, fromPool);
    const w = new WorkerIsolate(def, isolate, services);
    onCatastrophe(isolate, (message) => w.#onCatastrophe(message));
    w.#bootStartCpu = isolate.cpuTime;
    w.#bootStartProcessCpu = processCpuNs();
    w.#taskStartWall = performance.now();
    watchdog.watch(w);
    try {
      await w.#boot(ready);
    } catch (err) {
      if (!isolate.isDisposed) isolate.dispose();
      throw w.#startupError(err);
    } finally {
      watchdog.unwatch(w);
      w.#bootStartCpu = null;
    }
    return w;
  }

  // Why the top level failed, worded for the developer who deploys it.
  #startupError(err: unknown): UserError {
    const { name, limits } = this.def;
    // Only isolated-vm's own word for a heap past the limit: a RangeError the top level
    // threw (WebAssembly memories over the budget) names the memory limit too, and its
    // message says more than "exceeded its memory limit".
    const outcome = this.#bootOutcome ?? this.dead ?? (/disposed during execution due to memory limit/i.test((err as Error)?.message ?? '') ? 'exceededMemory' : null);
    if (outcome === 'exceededCpu') {
      return new UserError(`worker "${name}" exceeded its startup CPU limit of ${limits.startupMs} ms while evaluating its top level`, 'exceededCpu');
    }
    if (outcome === 'exceededMemory') {
      return new UserError(`worker "${name}" exceeded its memory limit of ${limits.memoryMb} MB while evaluating its top level`, 'exceededMemory');
    }
    if (err instanceof UserError) return err;
    return new UserError(`worker "${name}" threw while evaluating its top level: ${(err as Error)?.stack ?? String(err)}`, 'startup_error');
  }

  async #boot(ready: Promise<ReadyContext>): Promise<void> {
    const { def, isolate } = this;
    // The script form compiles on the isolate's thread while this one prepares the boot.
    const scriptForm = this.#startScriptForm();
    // The compile's failure is the load's to report (or nobody's, if the boot fails first).
    scriptForm?.compiled.catch(() => {});
    const { context, boot } = await ready;
    this.#context = context;
    const sync = new ivm.Callback((name: string, args: unknown[]) => this.#onSync(name, args));
    const start = new ivm.Callback((opId: number, name: string, args: unknown[]) => this.#onStart(opId, name, args));
    const post = new ivm.Callback((name: string, args: unknown[]) => this.#onPost(name, args), { ignored: true });
    const setup = new ivm.ExternalCopy({
      format: def.format,
      bindings: def.bindings,
      compatibilityDate: def.compatibilityDate,
      compatibilityFlags: def.compatibilityFlags,
      dev: def.dev,
      memoryMb: def.limits.memoryMb,
    } satisfies WorkerSetup).copyInto({ release: true });
    // The isolate's own handle goes in so the prelude can read the isolate's CPU clock at
    // task boundaries (it keeps only the bound getter); the board is shared, not copied.
    const board = new ivm.ExternalCopy(this.#board.buffer).copyInto({ release: true });
    const api = (await boot.apply(undefined, [sync, start, post, setup, isolate, board], { result: { reference: true } })) as ivm.Reference<Record<string, unknown>>;
    boot.release();
    const [task, setModule] = await Promise.all([api.get('task', { reference: true }), api.get('setModule', { reference: true })]);
    api.release();
    this.#task = task as ivm.Reference<(msg: TaskMessage, slot: number) => ErrorInfo | null>;
    const main = def.modules.find((m) => m.name === def.mainModule);
    if (!main) throw new UserError(`main module "${def.mainModule}" is missing from the upload`);
    if (def.format === 'service-worker') {
      await loadScript(isolate, context, main);
    } else {
      const ns = await this.#loadModuleWorker(scriptForm);
      await (setModule as ivm.Reference<(ns: unknown) => void>).apply(undefined, [ns.derefInto({ release: true })]);
    }
    // Handles are released as soon as they are done with, not left to the host's garbage
    // collector: every one waits there as a weak handle, and a cold start makes a dozen.
    setModule.release();
  }

  /** Starts compiling the code cache's script form when this worker can have one. */
  #startScriptForm(): ScriptForm | null {
    const src = scriptSource(this.def);
    return src && { ...src, compiled: compileCachedScript(this.isolate, src.key, src.filename) };
  }

  /** Loads a modules-format worker: from the code cache's script form when there is one, as ES modules otherwise. */
  async #loadModuleWorker(form: ScriptForm | null): Promise<ivm.Reference<Record<string, unknown>>> {
    const { def, isolate } = this;
    if (!form) return loadModules(isolate, this.#context, def.modules, def.mainModule);
    const { key, filename, source } = form;
    const compiled = await form.compiled;
    if (!compiled) return loadModules(isolate, this.#context, def.modules, def.mainModule, () => void convertToScript(key, source, filename));
    const exports = await runCompiledScript(isolate, this.#context, key, filename, compiled);
    this.#loadedFrom = { key, filename };
    return exports;
  }

  /**
   * Derives what the code cache needs for this worker ahead of its first request (at
   * upload or deploy), without keeping an isolate: the script form, then the cached data
   * from one throwaway isolate that runs the top level. Its isolates do not come from
   * the spare pool, which it would leave empty for the next cold starts. A no-op for
   * workers the cache cannot take.
   */
  static async prepareCode(def: WorkerDefinition, services: HostServices): Promise<void> {
    const src = scriptSource(def);
    if (!src) return;
    const { key, filename, source } = src;
    if (!lookupCode(key)) {
      // The module path checks the source (syntax, imports) and starts the conversion.
      (await WorkerIsolate.create(def, services, false)).dispose();
      await convertToScript(key, source, filename);
    }
    if (lookupCode(key)?.data !== null) return;
    const second = await WorkerIsolate.create(def, services, false);
    await cachedDataProduced(key);
    second.dispose();
  }

  /** Starts an invocation for an incoming request. */
  fetch(request: IncomingRequest): Invocation {
    const inv = this.#newInvocation();
    if (this.dead) {
      inv.settle({ kind: 'error', outcome: 'canceled', error: { type: 'Error', message: 'worker isolate is gone' }, passThrough: false });
      return inv;
    }
    this.#enqueue(inv, { kind: 'fetch', ctxId: inv.id, request: checkedUrl(request) });
    return inv;
  }

  /** Starts an invocation for a cron trigger; it settles like a request with no body. */
  scheduled(cron: string, scheduledTime: number): Invocation {
    const inv = this.#newInvocation();
    if (this.dead) {
      inv.settle({ kind: 'error', outcome: 'canceled', error: { type: 'Error', message: 'worker isolate is gone' }, passThrough: false });
      return inv;
    }
    this.#enqueue(inv, { kind: 'scheduled', ctxId: inv.id, cron, scheduledTime });
    return inv;
  }

  #newInvocation(): Invocation {
    const { cpuMs, subrequests } = this.def.limits;
    const inv = new Invocation(BigInt(Math.round(cpuMs * 1e6)), subrequests);
    this.invocations.add(inv);
    this.#invocationsById.set(inv.id, inv);
    return inv;
  }

  /** The live invocation with this id (ids come from the isolate: it may name none). */
  invocation(id: number): Invocation | null {
    return this.#invocationsById.get(id) ?? null;
  }

  /** Pulls the next chunk of an isolate stream (a response body). */
  pull(owner: Invocation, streamId: number): Promise<Uint8Array | null> {
    return new Promise((resolve, reject) => {
      if (this.dead) {
        reject(new Error(`worker stopped: ${this.dead}`));
        return;
      }
      this.pulls.set(streamId, { resolve, reject });
      this.#enqueue(owner, { kind: 'pull', streamId });
    });
  }

  /**
   * Tells the isolate a stream's consumer went away (client disconnected). Resolves once
   * the task ran (or was dropped): end the owner only after that, or the cancel is skipped.
   */
  cancelStream(owner: Invocation, streamId: number, reason: string): Promise<void> {
    if (this.dead) return Promise.resolve();
    return new Promise((resolve) => this.#enqueue(owner, { kind: 'cancel', streamId, reason }, resolve));
  }

  /** Registers a host byte source for the isolate to read; returns its id. */
  addHostStream(stream: HostStream): number {
    const id = this.#nextHostStream++;
    this.hostStreams.set(id, stream);
    return id;
  }

  /** Ends an invocation: aborts its ops in flight and lets the isolate forget it. */
  end(inv: Invocation): Promise<void> {
    if (inv.ended) return Promise.resolve();
    inv.ended = true;
    for (const ac of inv.inflight.values()) ac.abort();
    inv.inflight.clear();
    this.invocations.delete(inv);
    this.#invocationsById.delete(inv.id);
    if (this.dead) return Promise.resolve();
    if (this.#loadedFrom !== null && inv.outcome === 'ok') this.#refreshCode(this.#loadedFrom);
    // An invocation that reported its waitUntil work done was already forgotten by the
    // prelude: no call into the isolate on the warm path. Its CPU time is final once no
    // task of it is in the isolate (queued ones are dropped now that it has ended).
    if (inv.waitUntilReported) {
      const batch = this.#batch;
      if (!batch || !batch.tasks.some((t) => t.owner === inv)) return Promise.resolve();
      return new Promise((resolve) => batch.after.push(resolve));
    }
    return new Promise((resolve) => this.#enqueue(null, { kind: 'end', ctxId: inv.id }, resolve));
  }

  /**
   * After the first request served from the script form, the code cache is produced again
   * here, once per source in this process, so that it also holds the functions the
   * handler compiled: later cold starts of the same code skip compiling them. It takes the
   * isolate's thread for a few ms, so it waits until the isolate has been idle a while.
   */
  #refreshCode({ key, filename }: Pick<ScriptSource, 'key' | 'filename'>): void {
    this.#loadedFrom = null;
    const timer = setTimeout(() => {
      if (this.dead) return;
      if (this.#running) {
        timer.refresh();
        return;
      }
      const host = refreshCachedData(this.isolate, key, filename);
      if (!host) return;
      this.#queue.push({ owner: null, host });
      void this.#drain();
    }, REFRESH_IDLE_MS);
    timer.unref();
  }

  #enqueue(owner: Invocation | null, msg: TaskMessage, done?: () => void): void {
    this.#queue.push({ owner, msg, done });
    if (!this.#running) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#running = true;
    while (this.#queue.length > 0 && !this.dead) {
      const tasks = this.#nextBatch();
      if (tasks.length > 0) await this.#runBatch(tasks);
    }
    this.#running = false;
  }

  /**
   * Takes the next tasks to send: up to MAX_BATCH, at most one per owner (so the
   * watchdog's figure for an owner always includes its earlier tasks), an owner-less
   * task alone.
   */
  #nextBatch(): QueuedTask[] {
    const tasks: QueuedTask[] = [];
    const owners = new Set<Invocation>();
    while (this.#queue.length > 0 && tasks.length < MAX_BATCH) {
      const t = this.#queue[0];
      if (t.owner?.ended && t.msg?.kind !== 'end') {
        this.#queue.shift();
        t.done?.();
        continue;
      }
      if (t.owner === null ? tasks.length > 0 : owners.has(t.owner)) break;
      this.#queue.shift();
      tasks.push(t);
      if (t.owner === null) break;
      owners.add(t.owner);
    }
    return tasks;
  }

  async #runBatch(tasks: QueuedTask[]): Promise<void> {
    const batch: Batch = { tasks, startCpu: this.isolate.cpuTime, startProcessCpu: processCpuNs(), after: [] };
    Atomics.store(this.#board, 0, 0n);
    this.#batch = batch;
    this.#seenSlot = 0;
    this.#seenSlotProcessCpu = batch.startProcessCpu;
    this.#taskStartWall = performance.now();
    // Owner-less tasks run only prelude code, but a tenant that patched a built-in the
    // prelude calls could run there too: they are bounded like any other task. Host work
    // (a compile; it runs alone) runs no JavaScript and is not the tenant's to be stopped for.
    const watched = tasks[0].host === undefined;
    if (watched) watchdog.watch(this);
    const runs = tasks.map((t, slot) => t.host ? t.host().catch(() => {}) : this.#task.apply(undefined, [t.msg, slot], { arguments: { copy: true }, result: { copy: true } }).then(
      (bug) => { if (bug) this.#onPlatformBug(bug, t.owner); },
      (err) => this.#onTaskError(err, t.owner),
    ));
    await Promise.all(runs);
    if (watched) watchdog.unwatch(this);
    if (!this.isolate.isDisposed) this.#charge(batch);
    this.#batch = null;
    for (const t of tasks) t.done?.();
    for (const f of batch.after) f();
  }

  /**
   * Charges each task of a finished batch to its owner: task i ran from the CPU clock
   * the prelude noted when it began to the one the next task noted (the first from the
   * batch's start, the last to now). The readings are clamped into order, so a subverted
   * prelude can only move CPU time among its own invocations; the total is bounded by
   * the process's CPU as for a single task (#taskCpuNs).
   */
  #charge(batch: Batch): void {
    const end = this.isolate.cpuTime;
    const total = end - batch.startCpu;
    const bound = processCpuNs() - batch.startProcessCpu;
    let from = batch.startCpu;
    for (let i = 0; i < batch.tasks.length; i++) {
      let to = i + 1 < batch.tasks.length ? Atomics.load(this.#board, 2 + i + 1) : end;
      if (to < from) to = from;
      if (to > end) to = end;
      let own = to - from;
      if (total > bound && total > 0n) own = (own * (bound > 0n ? bound : 0n)) / total;
      const owner = batch.tasks[i].owner;
      if (owner) owner.cpuNs += own;
      from = to;
    }
  }

  /** The task running in the isolate now (the prelude marks each one as it begins). */
  #runningSlot(): number {
    const b = this.#batch;
    if (!b) return -1;
    const slot = Number(Atomics.load(this.#board, 0));
    return slot >= 0 && slot < b.tasks.length ? slot : 0;
  }

  /** The invocation the running task works for. */
  #current(): Invocation | null {
    const slot = this.#runningSlot();
    return slot < 0 ? null : this.#batch!.tasks[slot].owner;
  }

  #onTaskError(err: unknown, owner: Invocation | null): void {
    if (this.isolate.isDisposed) {
      const message = (err as Error)?.message ?? '';
      this.#die(this.dead ?? (/memory/i.test(message) ? 'exceededMemory' : 'canceled'), owner);
      return;
    }
    // The prelude's task function never throws, so this is isolated-vm reporting a promise
    // the tenant rejected and nobody handled by the end of the task. As on Workers, that
    // is logged and the request goes on.
    const text = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err);
    // The stack continues past the isolate into this process's own frames: cut it there.
    const message = `Uncaught (in promise) ${text.split('\n    at (<isolated-vm boundary>)')[0]}`;
    owner?.logs.push({ level: 'error', message, time: Date.now() });
    this.services.console?.(this, owner, 'error', message);
  }

  // The prelude's task function caught an error of its own: our bug, not the tenant's.
  #onPlatformBug(bug: ErrorInfo, owner: Invocation | null): void {
    const err = Object.assign(new Error(bug.message), { stack: bug.stack ?? `${bug.type}: ${bug.message}` });
    const info = internalError(err, (f) => this.services.log({ ...f, worker: this.def.name }));
    owner?.settle({ kind: 'error', outcome: 'exception', error: info, passThrough: false });
  }

  /**
   * CPU the running task has used. isolated-vm's `cpuTime` is thread CPU time for
   * finished stretches of work but counts the stretch in progress by the wall clock, so
   * on a busy host a task that waits for a core looks like it burns CPU. The whole
   * process's CPU time since the task began is also an upper bound of the task's own,
   * so the smaller of the two is used (docs/limits.md, "How CPU is measured").
   */
  #taskCpuNs(start: bigint, startProcess: bigint): bigint {
    const own = this.isolate.cpuTime - start;
    const bound = processCpuNs() - startProcess;
    return own < bound ? own : bound;
  }

  /**
   * CPU of the running task so far: the isolate's clock from the task's start, as the
   * prelude marked it, bounded by the process's CPU since the watchdog first saw the
   * task running (at most a poll late, so the bound errs low by a poll at most).
   */
  #runningCpuNs(budgetLeft?: bigint): bigint {
    const b = this.#batch;
    if (!b) return 0n;
    const slot = this.#runningSlot();
    if (slot !== this.#seenSlot) {
      this.#seenSlot = slot;
      this.#seenSlotProcessCpu = processCpuNs();
      // The wall-clock backstop is per task too, or a batch of legitimate tasks on a
      // starved machine could add up past it.
      this.#taskStartWall = performance.now();
    }
    let start = slot > 0 ? Atomics.load(this.#board, 2 + slot) : b.startCpu;
    if (start < b.startCpu) start = b.startCpu;
    // The bound can only lower the figure: the watchdog skips its system call while the
    // isolate's own clock is within the owner's budget.
    const own = this.isolate.cpuTime - start;
    if (budgetLeft !== undefined && own <= budgetLeft) return own;
    return this.#taskCpuNs(start, this.#seenSlotProcessCpu);
  }

  /**
   * Some work V8 does for an isolate runs on its helper threads and shows in neither
   * clock: a wasm memory grown a page at a time was seen using 6 s of process CPU while
   * its isolate's clock moved 6 ms. One task (never a wait: waits happen between tasks)
   * that runs this long by the wall clock is stopped as over its CPU limit too.
   */
  #wallBackstopMs(): number {
    const ms = this.#bootStartCpu !== null ? this.def.limits.startupMs : this.def.limits.cpuMs;
    return Math.max(ms * 20, 1000);
  }

  // watchdog.Watched
  ownerCpuNs(): bigint {
    if (this.isolate.isDisposed) return 0n;
    const backstop = (): boolean => performance.now() - this.#taskStartWall > this.#wallBackstopMs();
    if (this.#bootStartCpu !== null) {
      if (backstop()) return this.ownerLimitNs() + 1n;
      return this.#taskCpuNs(this.#bootStartCpu, this.#bootStartProcessCpu);
    }
    const used = this.#current()?.cpuNs ?? 0n;
    // Reading the running task's CPU first notices a new task (and restarts its wall clock).
    const cpu = used + this.#runningCpuNs(this.ownerLimitNs() - used);
    return backstop() ? this.ownerLimitNs() + 1n : cpu;
  }

  ownerLimitNs(): bigint {
    const ms = this.#bootStartCpu !== null ? this.def.limits.startupMs : this.def.limits.cpuMs;
    return this.#current()?.cpuLimitNs ?? BigInt(Math.round(ms * 1e6));
  }

  terminate(reason: 'exceededCpu'): void {
    if (this.#bootStartCpu !== null) {
      this.#bootOutcome = reason;
      this.isolate.dispose();
      return;
    }
    const owner = this.#current();
    if (owner && !this.isolate.isDisposed) owner.cpuNs += this.#runningCpuNs();
    this.#die(reason, owner);
  }

  /** Stops the isolate; `culprit` gets `reason`, every other live invocation `canceled`. */
  #die(reason: Outcome, culprit: Invocation | null): void {
    if (this.dead) return;
    this.dead = reason;
    if (!this.isolate.isDisposed) this.isolate.dispose();
    const { cpuMs, memoryMb } = this.def.limits;
    const messages: Partial<Record<Outcome, string>> = {
      exceededCpu: `Worker exceeded its CPU time limit of ${cpuMs} ms and was stopped.`,
      exceededMemory: `Worker exceeded its memory limit of ${memoryMb} MB and was stopped.`,
      canceled: 'The worker was reset because another request in the same isolate exceeded a limit.',
    };
    const err = (o: Outcome): ErrorInfo => ({ type: 'Error', message: messages[o] ?? o });
    for (const inv of this.invocations) {
      const outcome = inv === culprit ? reason : 'canceled';
      if (!inv.settle({ kind: 'error', outcome, error: err(outcome), passThrough: false })) inv.outcome = outcome;
      for (const ac of inv.inflight.values()) ac.abort();
      inv.waitUntilSettled();
    }
    for (const p of this.pulls.values()) p.reject(new Error(`worker stopped: ${reason}`));
    this.pulls.clear();
    // Request bodies are host streams too, and canceling one destroys its socket: wait
    // until the error responses settled above have been written (they go out in
    // microtasks, before this macrotask runs).
    const streams = [...this.hostStreams.values()];
    this.hostStreams.clear();
    setImmediate(() => { for (const s of streams) s.cancel(reason); });
    // Nothing queued will run; whoever waits for a task to finish (end()) stops waiting.
    for (const t of this.#queue) t.done?.();
    this.#queue = [];
    this.services.onDead?.(this, reason);
  }

  dispose(): void {
    this.#die('canceled', null);
  }

  #onCatastrophe(message: string): void {
    this.services.log({ level: 'fatal', msg: 'isolate lost to a catastrophic V8 error; its thread and memory stay lost until the process restarts', worker: this.def.name, error: message });
    if (this.#bootStartCpu !== null) {
      this.#bootOutcome = 'exceededMemory';
      // The parked isolate never answers; dispose() makes the pending boot step reject.
      if (!this.isolate.isDisposed) this.isolate.dispose();
      return;
    }
    this.#die('exceededMemory', this.#current());
  }

  #opContext(opId: number): OpContext {
    return { worker: this, inv: this.#current(), opId };
  }

  #onSync(name: string, args: unknown[]): unknown {
    const fn = (syncOps as Record<string, (ctx: OpContext, ...a: unknown[]) => unknown>)[name];
    try {
      if (!fn) throw new OpError('TypeError', `unknown op ${name}`);
      return fn(this.#opContext(0), ...args);
    } catch (err) {
      throw new Error(OP_ERROR_MARK + JSON.stringify(this.#errorInfo(err)));
    }
  }

  // A posted op: nobody waits for it, so its errors are logged here.
  #onPost(name: string, args: unknown[]): void {
    if (this.dead) return;
    try {
      if (!POSTED.has(name)) throw new OpError('TypeError', `op ${name} cannot be posted`);
      syncOps[name](this.#opContext(0), ...args);
    } catch (err) {
      internalError(err, (f) => this.services.log({ ...f, worker: this.def.name, op: name }));
    }
  }

  #onStart(opId: number, name: string, args: unknown[]): void {
    const fn = (asyncOps as Record<string, (ctx: OpContext, ...a: unknown[]) => Promise<unknown>>)[name];
    const owner = this.#current();
    try {
      if (!fn) throw new OpError('TypeError', `unknown op ${name}`);
      if (!owner) {
        throw new OpError('Error', 'Disallowed operation called within global scope. Asynchronous I/O (ex: fetch()), setting a timeout, and KV or cache calls are not allowed within global scope. To fix this error, perform this operation within a handler.');
      }
    } catch (err) {
      throw new Error(OP_ERROR_MARK + JSON.stringify(this.#errorInfo(err)));
    }
    const ac = new AbortController();
    owner.inflight.set(opId, ac);
    const ctx: OpContext = { worker: this, inv: owner, opId, signal: ac.signal };
    let promise: Promise<unknown>;
    try {
      promise = fn(ctx, ...args);
    } catch (err) {
      promise = Promise.reject(err);
    }
    promise.then(
      (value) => {
        owner.inflight.delete(opId);
        if (!ac.signal.aborted) this.#enqueue(owner, { kind: 'complete', opId, ok: true, value });
      },
      (err) => {
        owner.inflight.delete(opId);
        if (!ac.signal.aborted) this.#enqueue(owner, { kind: 'complete', opId, ok: false, error: this.#errorInfo(err) });
      },
    );
  }

  #errorInfo(err: unknown): ErrorInfo {
    if (err instanceof OpError) return err.info();
    if (err instanceof UserError) return { type: 'Error', message: err.message };
    return internalError(err, (f) => this.services.log({ ...f, worker: this.def.name }));
  }
}
