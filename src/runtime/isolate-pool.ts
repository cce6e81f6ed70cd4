// Where isolates come from. The prelude is compiled once per process into a V8 startup
// snapshot; every isolate starts from it, so booting one costs a deserialization rather
// than a compile, and a warm-up run at snapshot time leaves the prelude's common paths
// compiled in it. A few spare isolates, each with its context already made, are kept
// ready so that a cold start only has to load the tenant's code (docs/architecture.md,
// "Cold starts", has the measurements).

import ivm from './ivm.ts';
import { setFlagsFromString } from 'node:v8';
import { WASM_MAX_PAGES } from '../shared/ops.ts';
import { preludeBundle } from './prelude-bundle.ts';
import { CONTEXT_WARMUP, SNAPSHOT_WARMUP } from './snapshot-warmup.ts';

// isolated-vm's heap limit does not count WebAssembly memory, so V8 itself is told to
// refuse any memory bigger than WASM_MAX_PAGES; the prelude adds a per-isolate budget on
// top (src/prelude/internal/wasm-limits.ts). The flag is process-wide and read whenever
// a memory is created or grown, so setting it here covers every process that makes
// isolates, however it was started.
setFlagsFromString(`--wasm-max-mem-pages=${WASM_MAX_PAGES}`);

let snapshot: ivm.ExternalCopy<ArrayBuffer> | null = null;

/** A context with the prelude's one-shot boot function, which takes the worker's bridge. */
export interface ReadyContext {
  context: ivm.Context;
  boot: ivm.Reference<(...args: unknown[]) => unknown>;
}

/** An isolate with the prelude loaded and its context being made (on the isolate's thread). */
export interface FreshIsolate {
  isolate: ivm.Isolate;
  ready: Promise<ReadyContext>;
}

const spares: FreshIsolate[] = [];
let refilling = false;
// A refill makes an isolate on the main thread (a few ms): wait until the cold start
// that took a spare has had its turn.
const REFILL_DELAY_MS = 25;

/** How many spare isolates (at the default heap size) to keep ready. */
export let spareTarget = 2;
export const DEFAULT_MEMORY_MB = 128;

export function setSpareTarget(n: number): void {
  spareTarget = n;
  while (spares.length > n) spares.pop()!.isolate.dispose();
}

export function preludeSnapshot(): ivm.ExternalCopy<ArrayBuffer> {
  if (!snapshot) {
    const { code } = preludeBundle();
    snapshot = ivm.Isolate.createSnapshot([{ code, filename: 'atoll:prelude.js' }], SNAPSHOT_WARMUP);
  }
  return snapshot;
}

// Who to tell when V8 loses control of an isolate (see onCatastrophe).
const catastropheHandlers = new WeakMap<ivm.Isolate, (message: string) => void>();
let catastrophes = 0;

/**
 * Some allocations (a hash table doubling past the heap limit, a builtin that grows an
 * array without ever checking for termination) make V8 give up on the whole process.
 * With an `onCatastrophicError` handler isolated-vm parks that isolate's thread instead
 * of aborting, so the process and every other isolate survive; the parked thread and
 * its memory are lost until the process restarts (docs/limits.md, "Catastrophic errors").
 */
export function onCatastrophe(isolate: ivm.Isolate, handler: (message: string) => void): void {
  catastropheHandlers.set(isolate, handler);
}

/** How many isolates this process has lost to catastrophic errors (restart when it grows). */
export function catastropheCount(): number {
  return catastrophes;
}

export function newIsolate(memoryMb: number): ivm.Isolate {
  const isolate: ivm.Isolate = new ivm.Isolate({
    snapshot: preludeSnapshot(),
    memoryLimit: memoryMb,
    onCatastrophicError: (message: string) => {
      catastrophes++;
      catastropheHandlers.get(isolate)?.(message);
    },
  });
  return isolate;
}

function fresh(memoryMb: number, warm = false): FreshIsolate {
  const isolate = newIsolate(memoryMb);
  // A spare's context runs the API warm-up while it waits; one made on demand does not
  // make its cold start wait for it.
  const ready = isolate.createContext().then(async (context) => {
    if (warm) await context.eval(CONTEXT_WARMUP).catch(() => {});
    const boot = await context.global.get('__atoll_boot', { reference: true });
    return { context, boot } as ReadyContext;
  });
  // A spare disposed before anyone took it rejects here; whoever takes one awaits it.
  ready.catch(() => {});
  return { isolate, ready };
}

function refill(delayMs: number): void {
  if (refilling) return;
  refilling = true;
  const timer = setTimeout(() => {
    refilling = false;
    if (spares.length < spareTarget) {
      spares.push(fresh(DEFAULT_MEMORY_MB, true));
      if (spares.length < spareTarget) refill(0);
    }
  }, delayMs);
  timer.unref();
}

/**
 * An isolate with the prelude loaded: a spare one when the heap size is the default,
 * unless `fromPool` is false (work ahead of any request, which should leave the spares
 * to the cold starts that need them).
 */
export function takeIsolate(memoryMb: number, fromPool = true): FreshIsolate {
  if (!fromPool) return fresh(memoryMb);
  if (memoryMb === DEFAULT_MEMORY_MB && spares.length > 0) {
    const spare = spares.pop()!;
    refill(REFILL_DELAY_MS);
    return spare;
  }
  if (memoryMb === DEFAULT_MEMORY_MB) refill(REFILL_DELAY_MS);
  return fresh(memoryMb);
}

/** Fills the spare pool now (servers call it at start, so the first request is warm). */
export function warmPool(): void {
  preludeSnapshot();
  refill(0);
}
