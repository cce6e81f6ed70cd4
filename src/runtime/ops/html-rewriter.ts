// html_rewriter_wasm: the bytes of lol-html compiled to WebAssembly (the npm package
// html-rewriter-wasm), handed to an isolate the first time its code uses HTMLRewriter.
//
// Why an op and not bytes embedded in the prelude (measured with the prelude of
// 2026-11-27, 30 isolates each): embedding the module as base64 grew the V8 snapshot from
// 1110 KB to 2319 KB, a new isolate + context from 6.0 to 7.6 ms (median) and every
// isolate's heap by 1.2 MB, whether or not its worker ever rewrites HTML. Through this
// op only the isolates that use HTMLRewriter pay, once each (bench/html-rewriter.ts
// prints that first-use cost).
//
// The module declares a memory with no maximum, which would be charged at 128 MiB
// against the isolate's WebAssembly budget (src/prelude/internal/wasm-limits.ts) and let
// one rewriter grow that far. The copy sent here declares HTML_REWRITER_MAX_PAGES
// instead: V8 then refuses growth past it, and lol-html fails that transform. lol-html
// streams, so it needs little: rewriting a 10 MB page left the memory at its initial
// 1.25 MiB; only a single huge tag (or a huge insertion) needs more.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { HTML_REWRITER_MAX_PAGES } from '../../shared/ops.ts';
import type { OpContext } from './index.ts';

let bytes: Uint8Array | null = null;

function leb128(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function readLeb(buf: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (;;) {
    const b = buf[at++];
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return { value, next: at };
  }
}

/**
 * Rewrites the module's memory section (id 5, https://webassembly.github.io/spec/core/binary/modules.html#memory-section)
 * so its one memory declares `maxPages`.
 */
export function withMemoryMaximum(wasm: Uint8Array, maxPages: number): Uint8Array {
  let p = 8;
  while (p < wasm.length) {
    const id = wasm[p];
    const size = readLeb(wasm, p + 1);
    const body = size.next;
    if (id === 5) {
      const count = readLeb(wasm, body);
      if (count.value !== 1) throw new Error('html-rewriter-wasm: expected one memory');
      const min = readLeb(wasm, count.next + 1);
      const section = [1, 1, ...leb128(min.value), ...leb128(maxPages)];
      const head = [5, ...leb128(section.length)];
      const out = new Uint8Array(p + head.length + section.length + (wasm.length - body - size.value));
      out.set(wasm.subarray(0, p), 0);
      out.set(head, p);
      out.set(section, p + head.length);
      out.set(wasm.subarray(body + size.value), p + head.length + section.length);
      return out;
    }
    p = body + size.value;
  }
  throw new Error('html-rewriter-wasm: no memory section');
}

export function htmlRewriterWasm(): Uint8Array {
  if (!bytes) {
    const require = createRequire(import.meta.url);
    const file = require.resolve('html-rewriter-wasm/dist/html_rewriter_bg.wasm');
    bytes = withMemoryMaximum(readFileSync(file), HTML_REWRITER_MAX_PAGES);
  }
  return bytes;
}

export const htmlRewriterOps = {
  html_rewriter_wasm(_ctx: OpContext): Uint8Array {
    return htmlRewriterWasm();
  },
};
