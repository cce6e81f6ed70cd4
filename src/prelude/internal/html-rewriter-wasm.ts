// lol-html (https://github.com/cloudflare/lol-html) compiled to WebAssembly by the npm
// package html-rewriter-wasm, driven from here instead of its Node-only glue: this file is
// the wasm-bindgen ABI that module imports (names and hashes as its build made them), plus
// the Asyncify loop that lets a handler's promise pause the parser
// (https://kripken.github.io/blog/wasm/2019/07/16/asyncify.html).
//
// The bytes come from the host on first use (op html_rewriter_wasm; why an op, and the
// memory cap, in src/runtime/ops/html-rewriter.ts). A transform has an instance to itself
// (Asyncify keeps one suspended call per instance) and hands it back to a pool when done.
// A Rust error, or a handler's, reaches JavaScript as an exception thrown through the
// module's frames, which skips their epilogues: the shadow stack pointer is put back
// (what those frames held stays allocated, a few bytes). A rewriter whose handler's
// promise rejected is left suspended, and freeing it traps, so it is abandoned in place;
// after MAX_ABANDONED of those, a trap (out of memory, a panic) or a stack overflow
// inside the module (which may strike in the middle of its allocator), the instance is
// retired: dropped for the GC, and wasm-limits.ts returns its memory charge then. As that
// charge comes back only when the GC runs, failures that can be recovered from keep
// their instance.

import { hostSync } from './bridge.ts';
import { ArrayPrototypePop, ArrayPrototypePush, ErrorCtor, PromiseCtor, RangeErrorCtor, ReflectApply, StringPrototypeIndexOf, TypeErrorCtor, Uint8ArrayCtor } from './primordials.ts';
import { utf8Decode, utf8Encode } from './utf8.ts';

type Fn = (...args: number[]) => number;
export interface LolExports {
  memory: { buffer: ArrayBuffer };
  [name: string]: Fn | { buffer: ArrayBuffer };
}

/** What the glue needs to turn a pointer the module hands out into a JavaScript object. */
export interface Wrappers {
  element(inst: LolInstance, ptr: number): object;
  comment(inst: LolInstance, ptr: number): object;
  textChunk(inst: LolInstance, ptr: number): object;
  doctype(inst: LolInstance, ptr: number): object;
  endTag(inst: LolInstance, ptr: number): object;
  documentEnd(inst: LolInstance, ptr: number): object;
}

// https://github.com/WebAssembly/binaryen/blob/main/src/passes/Asyncify.cpp: the states.
const UNWINDING = 1;
const REWINDING = 2;
// Slots below 32 are wasm-bindgen's borrowed-object stack; 32..35 are fixed constants.
const STACK_SLOTS = 32;
// Suspended rewriters an instance may hold before it is retired (each keeps its buffers
// and its handlers alive).
const MAX_ABANDONED = 64;
// Idle instances kept for the next transforms; past a burst the rest go to the GC, so
// their memory charge stops counting against the tenant's own WebAssembly. A new one
// costs ~0.75 ms (the module is compiled once per isolate, ~20 ms).
const MAX_IDLE = 2;

/** What the sink receives: the chunk itself is at LolInstance.outPtr/outLen. */
export const OUTPUT_CHUNK = Object.freeze({});

let module: object | null = null;
let wasmBytes: Uint8Array | null = null;
const idle: LolInstance[] = [];

export class LolInstance {
  exports!: LolExports;
  /** Set when the module trapped: the instance is not reused. */
  tainted = false;
  /** True while a call is unwound, waiting for a handler's promise. */
  suspended = false;
  #abandoned = 0;
  #RuntimeError: Function;
  // The exports called on every handler and method call, looked up once.
  #addToStackPointer!: Fn;
  #malloc!: Fn;
  /** Where the output chunk the module just handed to the sink lies in its memory. */
  outPtr = 0;
  outLen = 0;
  #heap: unknown[] = [];
  #heapNext = 0;
  #stackPointer = STACK_SLOTS;
  #pending: Promise<unknown> | null = null;
  #bytes: Uint8Array | null = null;

  constructor(wrappers: Wrappers) {
    for (let i = 0; i < STACK_SLOTS; i++) this.#heap[i] = undefined;
    ArrayPrototypePush(this.#heap, undefined, null, true, false);
    this.#heapNext = this.#heap.length;
    // WebAssembly appears at boot, after this file's top level ran into the snapshot.
    const wasm = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: LolExports }; RuntimeError: Function } }).WebAssembly;
    this.#RuntimeError = wasm.RuntimeError;
    if (!module) {
      // Asked of the host once per isolate, even if compiling fails (a tenant may have
      // replaced WebAssembly.Module): the bytes are kept only until a module exists.
      wasmBytes ??= hostSync('html_rewriter_wasm');
      module = new wasm.Module(wasmBytes);
      wasmBytes = null;
    }
    const instance = new wasm.Instance(module, { __wbindgen_placeholder__: this.#imports(wrappers) });
    this.exports = instance.exports;
    this.#addToStackPointer = this.fn('__wbindgen_add_to_stack_pointer');
    this.#malloc = this.fn('__wbindgen_malloc');
  }

  fn(name: string): Fn {
    return this.exports[name] as Fn;
  }

  /** The shadow stack pointer, to put back after an exception (`recover`). */
  stackPointer(): number {
    return this.#addToStackPointer(0);
  }

  /** After a call ended in `err`: resets the shadow stack to `sp`, or retires the instance. */
  recover(sp: number, err: unknown): void {
    if (err instanceof this.#RuntimeError || (err instanceof RangeErrorCtor && StringPrototypeIndexOf(err.message, 'call stack') >= 0)) {
      this.tainted = true;
      return;
    }
    this.#addToStackPointer(sp - this.#addToStackPointer(0));
  }

  /** Runs `f`, a call into the module, recovering from an exception before passing it on. */
  attempt<T>(f: () => T): T {
    const sp = this.stackPointer();
    try {
      return f();
    } catch (err) {
      this.recover(sp, err);
      throw err;
    }
  }

  /** Leaves a suspended rewriter where it is (see the top of this file). */
  abandon(): void {
    this.suspended = false;
    if (++this.#abandoned >= MAX_ABANDONED) this.tainted = true;
  }

  get(idx: number): unknown { return this.#heap[idx]; }

  add(obj: unknown): number {
    if (this.#heapNext === this.#heap.length) ArrayPrototypePush(this.#heap, this.#heap.length + 1);
    const idx = this.#heapNext;
    this.#heapNext = this.#heap[idx] as number;
    this.#heap[idx] = obj;
    return idx;
  }

  take(idx: number): unknown {
    const value = this.#heap[idx];
    if (idx >= STACK_SLOTS + 4) {
      this.#heap[idx] = this.#heapNext;
      this.#heapNext = idx;
    }
    return value;
  }

  borrow(obj: unknown): number {
    if (this.#stackPointer === 1) throw new ErrorCtor('out of js stack');
    this.#heap[--this.#stackPointer] = obj;
    return this.#stackPointer;
  }

  unborrow(): void {
    this.#heap[this.#stackPointer++] = undefined;
  }

  memory(): Uint8Array {
    // Growing the memory detaches its old buffer, whose views then read as empty.
    if (this.#bytes === null || this.#bytes.byteLength === 0) this.#bytes = new Uint8ArrayCtor(this.exports.memory.buffer);
    return this.#bytes;
  }

  // Little-endian 32-bit words of the module's memory, read and written without a view.
  i32(at: number): number {
    const m = this.memory();
    return m[at] | (m[at + 1] << 8) | (m[at + 2] << 16) | (m[at + 3] << 24);
  }

  setI32(at: number, value: number): void {
    const m = this.memory();
    m[at] = value;
    m[at + 1] = value >>> 8;
    m[at + 2] = value >>> 16;
    m[at + 3] = value >>> 24;
  }

  string(ptr: number, len: number): string {
    return utf8Decode(this.memory().subarray(ptr, ptr + len));
  }

  /** Copies `s` into the module's memory: [pointer, length]. */
  passString(s: string): [number, number] {
    return this.passBytes(utf8Encode(s));
  }

  passBytes(bytes: Uint8Array): [number, number] {
    const ptr = this.#malloc(bytes.length);
    this.memory().set(bytes, ptr);
    return [ptr, bytes.length];
  }

  /** Calls an export that returns a string through a return slot on the shadow stack. */
  returnString(name: string, ptr: number): string {
    const retptr = this.#addToStackPointer(-16);
    let r0 = 0;
    let r1 = 0;
    try {
      this.fn(name)(retptr, ptr);
      r0 = this.i32(retptr);
      r1 = this.i32(retptr + 4);
      return this.string(r0, r1);
    } finally {
      this.#addToStackPointer(16);
      if (r1 !== 0) this.fn('__wbindgen_free')(r0, r1);
    }
  }

  /**
   * Runs a (possibly suspending) export to completion. When a handler returned a promise
   * the module unwinds, `beforeWait` runs (to flush output so far), the promise settles,
   * and the module rewinds to where it stopped.
   */
  async drive(name: string, args: number[], stackPtr: number, beforeWait: () => void): Promise<void> {
    const f = this.fn(name);
    const state = this.fn('asyncify_get_state');
    const sp = this.stackPointer();
    try {
      ReflectApply(f, undefined, args);
      while (state() === UNWINDING) {
        this.fn('asyncify_stop_unwind')();
        const p = this.#pending!;
        this.#pending = null;
        this.suspended = true;
        beforeWait();
        await p;
        this.suspended = false;
        this.fn('asyncify_start_rewind')(stackPtr);
        f();
      }
    } catch (err) {
      this.recover(sp, err);
      throw err;
    }
  }

  #awaitPromise(stackPtr: number, idx: number): void {
    if (this.fn('asyncify_get_state')() === REWINDING) {
      this.fn('asyncify_stop_rewind')();
      return;
    }
    // Asyncify's data header: where its save area starts and ends (1 KiB, as the module's
    // Rust side allocated it at stackPtr).
    this.setI32(stackPtr, stackPtr + 8);
    this.setI32(stackPtr + 4, stackPtr + 1024);
    this.fn('asyncify_start_unwind')(stackPtr);
    this.#pending = this.get(idx) as Promise<unknown>;
  }

  // The module's imports. Each reads or makes a JavaScript value the Rust side holds by index.
  #imports(w: Wrappers): Record<string, (...args: number[]) => unknown> {
    const optionalFlag = (v: unknown) => (v === undefined || v === null ? 0xffffff : v ? 1 : 0);
    const optional = (v: unknown) => (v === undefined || v === null ? 0 : this.add(v));
    const writeString = (at: number, s: string) => {
      const str = this.passString(s);
      this.setI32(at, str[0]);
      this.setI32(at + 4, str[1]);
    };
    const field = (name: string) => (i: number) => optional((this.get(i) as Record<string, unknown>)[name]);
    return {
      __wbindgen_object_drop_ref: (i) => { this.take(i); },
      __wbg_html_cd9a0f328493678b: (i) => optionalFlag((this.get(i) as { html?: unknown }).html),
      __wbindgen_string_new: (p, l) => this.add(this.string(p, l)),
      __wbg_documentend_new: (p) => this.add(w.documentEnd(this, p)),
      __wbg_awaitPromise_39a1101fd8518869: (s, i) => this.#awaitPromise(s, i),
      __wbindgen_object_clone_ref: (i) => this.add(this.get(i)),
      __wbg_element_c38470ed972aea27: field('element'),
      __wbg_comments_ba86bc03331d9378: field('comments'),
      __wbg_text_7800bf26cb443911: field('text'),
      __wbg_element_new: (p) => this.add(w.element(this, p)),
      __wbg_comment_new: (p) => this.add(w.comment(this, p)),
      __wbg_textchunk_new: (p) => this.add(w.textChunk(this, p)),
      __wbg_doctype_ac58c0964a59b61b: field('doctype'),
      __wbg_comments_94d876f6c0502e82: field('comments'),
      __wbg_text_4606a16c30e4ae91: field('text'),
      __wbg_end_34efb9402eac8a4e: field('end'),
      __wbg_doctype_new: (p) => this.add(w.doctype(this, p)),
      __wbg_endtag_new: (p) => this.add(w.endTag(this, p)),
      __wbg_enableEsiTags_de6b91cc61a25874: (i) => optionalFlag((this.get(i) as { enableEsiTags?: unknown }).enableEsiTags),
      __wbg_String_60c4ba333b5ca1c6: (at, i) => writeString(at, `${this.get(i) as string}`),
      __wbg_new_4fee7e2900033464: () => this.add([]),
      __wbg_push_ba9b5e3c25cff8f9: (a, v) => ArrayPrototypePush(this.get(a) as unknown[], this.get(v)),
      // Handlers run here; an exception is stored for the module, which then fails the call.
      __wbg_call_6c4ea719458624eb: (f, self, arg) => {
        try {
          return this.add(ReflectApply(this.get(f) as Function, this.get(self), [this.get(arg)]));
        } catch (err) {
          this.fn('__wbindgen_exn_store')(this.add(err));
          return 0;
        }
      },
      __wbg_new_917809a3e20a4b00: (p, l) => this.add(new TypeErrorCtor(this.string(p, l))),
      // The prelude's own Promise: handlers' results were made native promises (guarded()).
      __wbg_instanceof_Promise_c6535fc791fcc4d2: (i) => (this.get(i) instanceof PromiseCtor ? 1 : 0),
      // `memory.buffer`, taken only to make the output view below, which does not need it.
      __wbg_buffer_89a8560ab6a3d9c6: () => this.add(null),
      // `new Uint8Array(memory.buffer, ptr, len)` then `new Uint8Array(view)`: the module
      // makes them only to hand an output chunk to the sink, which copies it from the
      // memory at once; so the place is noted and a marker stands for the array (no
      // allocation per output chunk, of which a rewrite makes several per changed tag).
      __wbg_newwithbyteoffsetandlength_e45d8b33c02dc3b5: (_b, o, l) => {
        this.outPtr = o >>> 0;
        this.outLen = l >>> 0;
        return this.add(OUTPUT_CHUNK);
      },
      __wbg_new_bd2e1d010adb8a1a: (i) => this.add(this.get(i)),
      __wbindgen_debug_string: (at, i) => writeString(at, typeof this.get(i)),
      __wbindgen_throw: (p, l) => { throw new ErrorCtor(this.string(p, l)); },
      __wbindgen_rethrow: (i) => { throw this.take(i); },
      __wbindgen_memory: () => this.add(this.exports.memory),
    };
  }
}

/** An idle instance, or a new one (compiling the module on the isolate's first use). */
export function takeInstance(wrappers: Wrappers): LolInstance {
  return ArrayPrototypePop(idle) ?? new LolInstance(wrappers);
}

/** Back to the pool, unless the instance was retired (see the top of this file) or the pool is full. */
export function releaseInstance(inst: LolInstance): void {
  if (!inst.tainted && idle.length < MAX_IDLE) ArrayPrototypePush(idle, inst);
}
