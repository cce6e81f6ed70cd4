// HTMLRewriter: https://developers.cloudflare.com/workers/runtime-apis/html-rewriter/
// Handlers are recorded here; each transform() builds its own lol-html rewriter in a
// WebAssembly instance of its own (internal/html-rewriter-wasm.ts) when its body is first
// read, and streams: every input chunk is parsed as it arrives and what lol-html has
// written so far goes out before the next chunk is read.

import { Response } from './response.ts';
import { Headers } from './headers.ts';
import { ReadableStream } from './streams.ts';
import { ArrayPrototypePush, RangeErrorCtor, TypeErrorCtor, Uint8ArrayCtor } from './internal/primordials.ts';
import { HTML_REWRITER_MAX_PAGES } from '../shared/ops.ts';
import { LolInstance, releaseInstance, takeInstance } from './internal/html-rewriter-wasm.ts';
import { guarded, wrappers } from './internal/html-rewriter-content.ts';
import { workerConfig } from './internal/worker-state.ts';

// Input is written into lol-html a slice at a time, and output goes out after each slice
// that made some: a smaller slice brings the first byte sooner (a 64 KiB slice of a page
// with a link every 50 bytes took ~25 ms before its first output), a larger one costs
// more calls. A slice also bounds the room an input chunk needs inside the module.
const WRITE_SLICE = 16 * 1024;
const OUT_START = 16 * 1024;
// An output buffer that grew past this (a large insertion) is not kept between flushes.
const OUT_KEEP = 1024 * 1024;
// https://fetch.spec.whatwg.org/#null-body-status
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);
const ELEMENT_HANDLERS = ['element', 'comments', 'text'] as const;
const DOCUMENT_HANDLERS = ['doctype', 'comments', 'text', 'end'] as const;

interface Registration {
  selector: string | null;
  /** Handler name -> the tenant's function, read once when registered. */
  fns: Record<string, Function>;
  self: object;
}

const registrationsOf = new WeakMap<HTMLRewriter, Registration[]>();

function handlersOf(handlers: unknown, names: readonly string[], where: string, type: string): Record<string, Function> {
  if (handlers === null || (typeof handlers !== 'object' && typeof handlers !== 'function')) {
    throw new TypeErrorCtor(`Failed to execute '${where}' on 'HTMLRewriter': parameter ${type === 'ElementHandlers' ? 2 : 1} is not of type '${type}'.`);
  }
  const fns: Record<string, Function> = {};
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const fn = (handlers as Record<string, unknown>)[name];
    if (fn === undefined) continue;
    if (typeof fn !== 'function') {
      throw new TypeErrorCtor(`Failed to execute '${where}' on 'HTMLRewriter': the '${name}' handler is not a function.`);
    }
    fns[name] = fn;
  }
  return fns;
}

/** Checks a selector the way lol-html will parse it, so `on()` throws as in Workers. */
function checkSelector(selector: string): void {
  const inst = takeInstance(wrappers);
  const rw = newRewriter(inst, () => {});
  try {
    const str = inst.passString(selector);
    inst.attempt(() => inst.fn('htmlrewriter_on')(rw, str[0], str[1], inst.add({})));
  } catch (err) {
    const message = err instanceof Error ? err.message : `${err as string}`;
    throw new TypeErrorCtor(`Failed to execute 'on' on 'HTMLRewriter': invalid selector "${selector}": ${message}`);
  } finally {
    dispose(inst, rw);
  }
}

function newRewriter(inst: LolInstance, sink: () => void): number {
  // https://developers.cloudflare.com/workers/configuration/compatibility-flags/#htmlrewriter-handling-of-esiinclude
  const enableEsiTags = workerConfig().compatibilityFlags.includes('html_rewriter_treats_esi_include_as_void_tag');
  try {
    return inst.fn('htmlrewriter_new')(inst.borrow(sink), inst.add({ enableEsiTags }));
  } finally {
    inst.unborrow();
  }
}

/** Frees a rewriter and pools its instance, unless freeing it trapped (then `attempt` retired it). */
function dispose(inst: LolInstance, rw: number): void {
  try {
    inst.attempt(() => inst.fn('__wbg_htmlrewriter_free')(rw));
  } catch {
    return;
  }
  releaseInstance(inst);
}

export class HTMLRewriter {
  constructor() {
    registrationsOf.set(this, []);
  }

  on(selector: string, handlers: { element?: Function; comments?: Function; text?: Function }): this {
    const list = registrationsOf.get(this);
    if (!list) throw new TypeErrorCtor('Illegal invocation');
    if (typeof selector === 'symbol') throw new TypeErrorCtor("Failed to execute 'on' on 'HTMLRewriter': Cannot convert a Symbol value to a string.");
    const sel = `${selector}`;
    const fns = handlersOf(handlers, ELEMENT_HANDLERS, 'on', 'ElementHandlers');
    checkSelector(sel);
    ArrayPrototypePush(list, { selector: sel, fns, self: handlers as object });
    return this;
  }

  onDocument(handlers: { doctype?: Function; comments?: Function; text?: Function; end?: Function }): this {
    const list = registrationsOf.get(this);
    if (!list) throw new TypeErrorCtor('Illegal invocation');
    const fns = handlersOf(handlers, DOCUMENT_HANDLERS, 'onDocument', 'DocumentHandlers');
    ArrayPrototypePush(list, { selector: null, fns, self: handlers as object });
    return this;
  }

  transform(response: Response): Response {
    const list = registrationsOf.get(this);
    if (!list) throw new TypeErrorCtor('Illegal invocation');
    if (!(response instanceof Response)) throw new TypeErrorCtor("Failed to execute 'transform' on 'HTMLRewriter': parameter 1 is not of type 'Response'.");
    if (response.bodyUsed) throw new TypeErrorCtor("Failed to execute 'transform' on 'HTMLRewriter': Body has already been used. It can only be used once.");
    const init = { status: response.status, statusText: response.statusText, headers: new Headers(response.headers) };
    // A status that cannot have a body (204, 304, ...) has nothing to rewrite.
    if (NULL_BODY_STATUSES.has(response.status)) return new Response(null, init);
    const input = response.body;
    // Later on()/onDocument() calls do not change a transform already made.
    const regs: Registration[] = [];
    for (let i = 0; i < list.length; i++) ArrayPrototypePush(regs, list[i]);
    // The length changes with the rewrite (Workers drops it too).
    init.headers.delete('content-length');
    return new Response(new ReadableStream<Uint8Array>(rewritingSource(regs, input), { highWaterMark: 0 }), init);
  }

  get [Symbol.toStringTag](): string { return 'HTMLRewriter'; }
}

function rewritingSource(regs: Registration[], input: ReadableStream<Uint8Array> | null) {
  const reader = input ? input.getReader() : null;
  let inst: LolInstance | null = null;
  let rw = 0;
  let stackPtr = 0;
  // Output since the last flush: the sink's views into the module's memory are copied here.
  let out = new Uint8ArrayCtor(OUT_START);
  let outBytes = 0;
  let busy = false;
  let cancelled = false;
  // The input chunk being written, a slice at a time, and how far.
  let pending: Uint8Array | null = null;
  let pendingAt = 0;

  const flush = (controller: { enqueue(c: Uint8Array): void }) => {
    if (outBytes === 0 || cancelled) return;
    controller.enqueue(out.slice(0, outBytes));
    outBytes = 0;
    if (out.byteLength > OUT_KEEP) out = new Uint8ArrayCtor(OUT_START);
  };

  const start = () => {
    inst = takeInstance(wrappers);
    const lol = inst;
    rw = newRewriter(inst, () => {
      // The chunk is in the module's memory (see OUTPUT_CHUNK); short ones, the most
      // common, are copied without making a view.
      const at = lol.outPtr;
      const n = lol.outLen;
      if (outBytes + n > out.byteLength) {
        let size = out.byteLength * 2;
        while (size < outBytes + n) size *= 2;
        const grown = new Uint8ArrayCtor(size);
        grown.set(out.subarray(0, outBytes));
        out = grown;
      }
      const mem = lol.memory();
      if (n <= 64) for (let i = 0; i < n; i++) out[outBytes + i] = mem[at + i];
      else out.set(mem.subarray(at, at + n), outBytes);
      outBytes += n;
    });
    for (let r = 0; r < regs.length; r++) {
      const reg = regs[r];
      const h: Record<string, Function> = {};
      for (const name in reg.fns) h[name] = guarded(reg.fns[name], reg.self);
      if (reg.selector === null) inst.fn('htmlrewriter_onDocument')(rw, inst.add(h));
      else {
        const str = inst.passString(reg.selector);
        inst.fn('htmlrewriter_on')(rw, str[0], str[1], inst.add(h));
      }
    }
    stackPtr = inst.fn('htmlrewriter_asyncify_stack_ptr')(rw);
  };

  // One write or end call; when it fails (a handler's error, a trap), the rewriter is
  // freed (or abandoned, if suspended) and the stream errors with that error.
  const run = async (controller: ReadableStreamController, name: string, input: Uint8Array | null) => {
    busy = true;
    try {
      const args = [rw];
      if (input) {
        const bytes = inst!.attempt(() => inst!.passBytes(input));
        ArrayPrototypePush(args, bytes[0], bytes[1]);
      }
      await inst!.drive(name, args, stackPtr, () => flush(controller));
    } catch (err) {
      const trapped = inst!.tainted;
      if (inst!.suspended) {
        inst!.abandon();
        releaseInstance(inst!);
      } else dispose(inst!, rw);
      inst = null;
      throw trapped ? trapError(err) : err;
    } finally {
      busy = false;
    }
  };

  return {
    async pull(controller: ReadableStreamController) {
      if (!inst) start();
      for (;;) {
        if (!pending) {
          let next: { done: boolean; value?: unknown };
          try {
            next = reader ? await reader.read() : { done: true };
          } catch (err) {
            // The input failed: so does the output, with the same error.
            if (inst) dispose(inst, rw);
            inst = null;
            throw err;
          }
          if (cancelled) return;
          if (next.done) {
            await run(controller, 'htmlrewriter_end', null);
            dispose(inst!, rw);
            inst = null;
            flush(controller);
            controller.close();
            return;
          }
          if (!(next.value instanceof Uint8ArrayCtor)) {
            dispose(inst!, rw);
            inst = null;
            throw new TypeErrorCtor("Failed to execute 'transform' on 'HTMLRewriter': the response body's ReadableStream did not return bytes.");
          }
          pending = next.value as Uint8Array;
          pendingAt = 0;
        }
        const slice = pending.subarray(pendingAt, pendingAt + WRITE_SLICE);
        pendingAt += slice.byteLength;
        if (pendingAt >= pending.byteLength) pending = null;
        await run(controller, 'htmlrewriter_write', slice);
        if (cancelled) {
          dispose(inst!, rw);
          inst = null;
          return;
        }
        if (outBytes > 0) {
          flush(controller);
          return;
        }
      }
    },
    cancel(reason: unknown) {
      cancelled = true;
      // Mid-call, the call in progress frees the rewriter when it returns.
      if (inst && !busy) {
        dispose(inst, rw);
        inst = null;
      }
      return reader ? reader.cancel(reason) : undefined;
    },
  };
}

// A trap is almost always an allocation lol-html could not make within its memory cap
// (Rust aborts on out-of-memory); a panic is the rare other case.
function trapError(err: unknown): Error {
  const detail = err instanceof Error ? `${err.name}: ${err.message}` : `${err as string}`;
  const mib = (HTML_REWRITER_MAX_PAGES * 65536) / 1048576;
  return new RangeErrorCtor(`HTMLRewriter: lol-html stopped (${detail}), most likely because it needed more than its memory limit of ${mib} MiB (for example, for a single tag with huge attributes).`);
}

type ReadableStreamController = { enqueue(c: Uint8Array): void; close(): void };

