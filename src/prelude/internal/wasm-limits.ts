// WebAssembly memory lives outside the V8 heap, so the isolate's heap limit does not see
// it (a 32 MB isolate was seen allocating 1 GiB). Two bounds keep it in check: V8 refuses
// any single memory over WASM_MAX_PAGES (a process flag the host sets), and here every
// memory an isolate creates is charged at its largest possible size against a budget
// equal to the heap limit. Growth from inside wasm code (`memory.grow`) cannot be
// intercepted, which is why a memory counts at its maximum, not its current size; a
// memory's charge is returned when it is garbage-collected. docs/limits.md has the rules.
//
// Shared memories are refused, and Atomics.wait with them: a wait (Atomics.wait, or
// wasm's memory.atomic.wait) blocks the isolate's thread without using CPU, so a worker
// could hold one of the threads every tenant's isolates run on for as long as the
// wall-clock backstop allows, request after request. No other thread could ever wake
// it anyway: a worker has one thread.

import { WASM_MAX_PAGES } from '../../shared/ops.ts';

type Ctor = new (...args: unknown[]) => object;
interface WasmNamespace {
  Memory: Ctor;
  Module: Ctor;
  Instance: Ctor;
  compile(bytes: unknown): Promise<object>;
  instantiate(source: unknown, imports?: unknown): Promise<unknown>;
}

const PAGE = 65536;
const ReflectApplyFn = Reflect.apply;
const ReflectConstruct = Reflect.construct;
const DefineProperty = Object.defineProperty;
const ArrayBufferIsView = ArrayBuffer.isView;
const Uint8ArrayCtor = Uint8Array;
const WeakMapGet = WeakMap.prototype.get;
const WeakMapSet = WeakMap.prototype.set;
const PromiseResolve = Promise.resolve.bind(Promise);
const PromiseReject = Promise.reject.bind(Promise);
const FinalizationRegister = FinalizationRegistry.prototype.register;
const RangeErrorCtor = RangeError;
const TypeErrorCtor = TypeError;

let budgetPages = 128 * 16;
let usedPages = 0;
let limitMb = 128;
// Pages each compiled module will allocate per instance (its own, non-imported memories).
const modulePages = new WeakMap<object, number>();
const released = new FinalizationRegistry<number>((pages) => { usedPages -= pages; });

function charge(what: string, pages: number): void {
  if (usedPages + pages > budgetPages) {
    throw new RangeErrorCtor(`${what}: this worker's WebAssembly memories would exceed its memory limit of ${limitMb} MB (a memory counts at its maximum size, ${WASM_MAX_PAGES * PAGE / 1048576} MiB when it declares none)`);
  }
  usedPages += pages;
}

function track(holder: object, pages: number): void {
  if (pages > 0) ReflectApplyFn(FinalizationRegister, released, [holder, pages]);
}

function bytesOf(source: unknown): Uint8Array | null {
  if (source instanceof ArrayBuffer) return new Uint8ArrayCtor(source);
  if (ArrayBufferIsView(source)) {
    const v = source as ArrayBufferView;
    return new Uint8ArrayCtor(v.buffer as ArrayBuffer, v.byteOffset, v.byteLength);
  }
  return null;
}

const SHARED = 'shared WebAssembly memories are not available to workers: a wait on one would hold a thread that other workers need, and a worker has no other thread to share it with';

// https://webassembly.github.io/spec/core/binary/modules.html#memory-section: the pages
// the module's own memories may reach (imported memories are charged where they are made);
// -1 when one of them is shared (flag bit 1, the threads proposal).
function definedMemoryPages(bytes: Uint8Array): number {
  let p = 8;
  const leb = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (p >= bytes.length) return 0;
      const b = bytes[p++];
      result += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) return result;
    }
  };
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = leb();
    if (id !== 5) {
      p += size;
      continue;
    }
    let pages = 0;
    for (let count = leb(); count > 0 && p < bytes.length; count--) {
      const flags = bytes[p++];
      if (flags & 2) return -1;
      leb(); // minimum
      const max = flags & 1 ? leb() : WASM_MAX_PAGES;
      pages += max < WASM_MAX_PAGES ? max : WASM_MAX_PAGES;
    }
    return pages;
  }
  return 0;
}

function pagesOfModule(module: unknown): number {
  const pages = ReflectApplyFn(WeakMapGet, modulePages, [module]) as number | undefined;
  // A module that did not come through the wrapped entry points: assume one full memory.
  return pages ?? WASM_MAX_PAGES;
}

// Replaces `ns[name]` with `fn`, keeping prototype, `instanceof` and `.constructor` intact.
function replaceCtor(ns: WasmNamespace, name: 'Memory' | 'Module' | 'Instance', fn: (...args: any[]) => object): void {
  const native = ns[name];
  DefineProperty(fn, 'name', { value: name });
  DefineProperty(fn, 'length', { value: native.length });
  DefineProperty(fn, 'prototype', { value: native.prototype, writable: false, enumerable: false, configurable: false });
  DefineProperty(native.prototype, 'constructor', { value: fn, writable: true, enumerable: false, configurable: true });
  DefineProperty(ns, name, { value: fn, writable: true, enumerable: false, configurable: true });
}

let CompileErrorCtor: new (message: string) => Error = TypeErrorCtor;

/** Runs once, at boot (before any tenant code), with the isolate's heap limit. */
export function installWasmLimits(memoryMb: number): void {
  limitMb = memoryMb;
  budgetPages = memoryMb * 16;
  // A wait on a SharedArrayBuffer blocks the same way (see the top of this file).
  DefineProperty(Atomics, 'wait', {
    value: {
      wait(): never {
        throw new TypeErrorCtor('Atomics.wait cannot be called in a worker: it would block a thread that other workers need without using CPU; await a Promise instead');
      },
    }.wait,
    writable: true, enumerable: false, configurable: true,
  });
  const ns = (globalThis as unknown as { WebAssembly?: WasmNamespace & { CompileError: new (message: string) => Error } }).WebAssembly;
  // Absent only where the snapshot warm-up boots the prelude (snapshot-warmup.ts): no
  // WebAssembly there, so nothing to bound.
  if (!ns) return;
  CompileErrorCtor = ns.CompileError;
  const { Memory: NativeMemory, Module: NativeModule, Instance: NativeInstance } = ns;

  replaceCtor(ns, 'Memory', function Memory(this: unknown, descriptor: unknown): object {
    if (!new.target) throw new TypeErrorCtor("WebAssembly.Memory must be invoked with 'new'");
    if (descriptor === null || typeof descriptor !== 'object') throw new TypeErrorCtor('WebAssembly.Memory(): Argument 0 must be a memory descriptor');
    // Read each field once, so a getter cannot show the charge one size and V8 another.
    const d = descriptor as Record<string, unknown>;
    const copy: Record<string, unknown> = { initial: d.initial, maximum: d.maximum, shared: d.shared, index: d.index };
    if (copy.index === undefined) delete copy.index;
    if (copy.shared) throw new TypeErrorCtor(`WebAssembly.Memory(): ${SHARED}`);
    const max = copy.maximum === undefined ? WASM_MAX_PAGES : Number(copy.maximum);
    const pages = max >= 0 && max < WASM_MAX_PAGES ? Math.trunc(max) : WASM_MAX_PAGES;
    charge('WebAssembly.Memory()', pages);
    let memory: object;
    try {
      memory = ReflectConstruct(NativeMemory, [copy], new.target);
    } catch (err) {
      usedPages -= pages;
      throw err;
    }
    track(memory, pages);
    return memory;
  });

  replaceCtor(ns, 'Module', function Module(this: unknown, source: unknown): object {
    if (!new.target) throw new TypeErrorCtor("WebAssembly.Module must be invoked with 'new'");
    const module = ReflectConstruct(NativeModule, [source], new.target);
    const bytes = bytesOf(source);
    const pages = bytes ? definedMemoryPages(bytes) : WASM_MAX_PAGES;
    if (pages < 0) throw new CompileErrorCtor(`WebAssembly.Module(): ${SHARED}`);
    ReflectApplyFn(WeakMapSet, modulePages, [module, pages]);
    return module;
  });

  replaceCtor(ns, 'Instance', function Instance(this: unknown, module: unknown, imports?: unknown): object {
    if (!new.target) throw new TypeErrorCtor("WebAssembly.Instance must be invoked with 'new'");
    const pages = pagesOfModule(module);
    charge('WebAssembly.Instance()', pages);
    let instance: object;
    try {
      instance = ReflectConstruct(NativeInstance, [module, imports], new.target);
    } catch (err) {
      usedPages -= pages;
      throw err;
    }
    track(instance, pages);
    return instance;
  });

  // compile() and instantiate() work synchronously and hand back a settled promise. V8's
  // own async versions resume the caller from a V8 task that runs outside the host's task
  // queue, where no invocation owns the CPU and the watchdog does not look: a loop after
  // `await WebAssembly.compile(bytes)` ran unchecked. Compiling in the caller's task also
  // charges the compile itself to the request that asked for it.
  const settled = <T>(run: () => T): Promise<T> => {
    try {
      return PromiseResolve(run());
    } catch (err) {
      return PromiseReject(err);
    }
  };
  const wasmModule = ns.Module;
  const wasmInstance = ns.Instance;
  const compile = {
    compile(source: unknown): Promise<object> {
      return settled(() => new wasmModule(source));
    },
  }.compile;
  const instantiate = {
    instantiate(source: unknown, imports?: unknown): Promise<unknown> {
      return settled(() => {
        if (source instanceof NativeModule) return new wasmInstance(source, imports);
        const module = new wasmModule(source);
        return { module, instance: new wasmInstance(module, imports) };
      });
    },
  }.instantiate;

  DefineProperty(ns, 'compile', { value: compile, writable: true, enumerable: false, configurable: true });
  DefineProperty(ns, 'instantiate', { value: instantiate, writable: true, enumerable: false, configurable: true });
}
