// AbortController / AbortSignal: https://dom.spec.whatwg.org/#interface-abortcontroller

import { EventTarget, registerAbortSignalBrand } from './event-target.ts';
import { Event } from './event.ts';
import { DOMException } from './dom-exception.ts';
import { setTimeout } from './timers.ts';
import { ReflectApply } from './internal/primordials.ts';

interface SignalState {
  aborted: boolean;
  reason: unknown;
  algorithms: Set<() => void>;
  // For AbortSignal.any: the signals this one depends on (https://dom.spec.whatwg.org/#abortsignal-dependent).
  sources: AbortSignal[];
  // Held weakly, as the spec's weak set: a long-lived source (a controller kept for the
  // isolate's lifetime) must not keep every AbortSignal.any() ever made from it alive.
  dependents: Set<WeakRef<AbortSignal>>;
  // Dependents with abort listeners or algorithms, held strongly: the spec keeps such a
  // signal alive while it has sources, since firing it is observable.
  pinned: Set<AbortSignal>;
  onabort: ((e: Event) => unknown) | null;
}

const stateOf = new WeakMap<AbortSignal, SignalState>();
let constructing = false;

function st(s: AbortSignal): SignalState {
  const v = stateOf.get(s);
  if (!v) throw new TypeError('Illegal invocation');
  return v;
}

export class AbortSignal extends EventTarget {
  /** @internal Not constructible from tenant code, as in browsers and Workers. */
  constructor() {
    if (!constructing) throw new TypeError('Illegal constructor');
    super();
    stateOf.set(this, { aborted: false, reason: undefined, algorithms: new Set(), sources: [], dependents: new Set(), pinned: new Set(), onabort: null });
  }

  get aborted(): boolean { return st(this).aborted; }
  get reason(): unknown { return st(this).reason; }
  get onabort(): ((e: Event) => unknown) | null { return st(this).onabort; }
  set onabort(fn: ((e: Event) => unknown) | null) {
    const s = st(this);
    if (s.onabort) this.removeEventListener('abort', s.onabort);
    s.onabort = typeof fn === 'function' ? fn : null;
    if (s.onabort) this.addEventListener('abort', s.onabort);
  }

  addEventListener(...args: Parameters<EventTarget['addEventListener']>): void {
    ReflectApply(EventTarget.prototype.addEventListener, this, args);
    if (String(args[0]) === 'abort') pin(this);
  }

  throwIfAborted(): void {
    const s = st(this);
    if (s.aborted) throw s.reason;
  }

  static abort(reason?: unknown): AbortSignal {
    const signal = newSignal();
    const s = st(signal);
    s.aborted = true;
    s.reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    return signal;
  }

  static timeout(ms: number): AbortSignal {
    const n = Number(ms);
    if (!Number.isFinite(n) || n < 0) throw new TypeError("Failed to execute 'timeout' on 'AbortSignal': Value is outside the 'unsigned long long' value range.");
    const signal = newSignal();
    setTimeout(() => signalAbort(signal, new DOMException('The operation timed out.', 'TimeoutError')), n);
    return signal;
  }

  // https://dom.spec.whatwg.org/#create-a-dependent-abort-signal
  static any(signals: Iterable<AbortSignal>): AbortSignal {
    const result = newSignal();
    const list = [...signals];
    for (const sig of list) {
      if (!(sig instanceof AbortSignal)) throw new TypeError("Failed to execute 'any' on 'AbortSignal': Failed to convert value to 'AbortSignal'.");
      if (sig.aborted) {
        const r = st(result);
        r.aborted = true;
        r.reason = sig.reason;
        return result;
      }
    }
    const r = st(result);
    for (const sig of list) {
      const s = st(sig);
      const sources = s.sources.length ? s.sources : [sig];
      for (const src of sources) {
        if (r.sources.includes(src)) continue;
        r.sources.push(src);
        addDependent(st(src), result);
      }
    }
    return result;
  }

  get [Symbol.toStringTag](): string { return 'AbortSignal'; }
}

// Collected dependents are swept whenever the set has doubled since the last sweep.
const sweptAt = new WeakMap<SignalState, number>();
function addDependent(s: SignalState, dependent: AbortSignal): void {
  s.dependents.add(new WeakRef(dependent));
  if (s.dependents.size < 2 * Math.max(32, sweptAt.get(s) ?? 0)) return;
  for (const ref of s.dependents) if (ref.deref() === undefined) s.dependents.delete(ref);
  sweptAt.set(s, s.dependents.size);
}

registerAbortSignalBrand((v) => typeof v === 'object' && v !== null && stateOf.has(v as AbortSignal));

function newSignal(): AbortSignal {
  constructing = true;
  try {
    return new AbortSignal();
  } finally {
    constructing = false;
  }
}

function pin(signal: AbortSignal): void {
  const s = st(signal);
  if (s.aborted) return;
  for (const src of s.sources) st(src).pinned.add(signal);
}

/** Runs an algorithm when `signal` aborts (fetch uses it to cancel in-flight work). */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  const s = st(signal);
  s.algorithms.add(fn);
  pin(signal);
  return () => s.algorithms.delete(fn);
}

// https://dom.spec.whatwg.org/#abortsignal-signal-abort
export function signalAbort(signal: AbortSignal, reason?: unknown): void {
  const s = st(signal);
  if (s.aborted) return;
  s.aborted = true;
  s.reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
  const dependents: AbortSignal[] = [];
  for (const ref of s.dependents) {
    const d = ref.deref();
    if (d === undefined) continue;
    const ds = st(d);
    if (ds.aborted) continue;
    ds.aborted = true;
    ds.reason = s.reason;
    dependents.push(d);
  }
  // Aborted dependents need no source any more; nor does this signal need its dependents.
  s.dependents.clear();
  s.pinned.clear();
  for (const d of dependents) for (const src of st(d).sources) st(src).pinned.delete(d);
  runAbortSteps(signal);
  for (const d of dependents) runAbortSteps(d);
}

function runAbortSteps(signal: AbortSignal): void {
  const s = st(signal);
  for (const fn of [...s.algorithms]) fn();
  s.algorithms.clear();
  signal.dispatchEvent(new Event('abort'));
}

export class AbortController {
  readonly #signal = newSignal();
  get signal(): AbortSignal { return this.#signal; }
  abort(reason?: unknown): void { signalAbort(this.#signal, reason); }
  get [Symbol.toStringTag](): string { return 'AbortController'; }
}

/** A fresh, never-aborted signal (for requests created without one). */
export function createSignal(): AbortSignal {
  return newSignal();
}
