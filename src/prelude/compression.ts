// CompressionStream / DecompressionStream: https://compression.spec.whatwg.org/
// They run inside the isolate (fflate's DEFLATE), so their CPU time is the tenant's.
// Compression uses fflate's writers as they are. Decompression inflates the raw DEFLATE
// data with fflate and reads the gzip and zlib wrappers here, because fflate checks
// neither checksums, nor a stream cut short, nor bytes after the end; the spec makes
// each of those a TypeError.

import { Deflate, Gzip, Inflate, Zlib } from 'fflate';
import { TransformStream, type ReadableStream, type WritableStream } from './streams.ts';
import { bufferSourceBytes } from './encoding.ts';
import { StringCtor, TypeErrorCtor, Uint8ArrayCtor } from './internal/primordials.ts';

type Format = 'gzip' | 'deflate' | 'deflate-raw';
type Controller = { enqueue(chunk: Uint8Array): void };

function formatOf(format: unknown, what: string): Format {
  const f = StringCtor(format);
  if (f === 'gzip' || f === 'deflate' || f === 'deflate-raw') return f;
  throw new TypeErrorCtor(`Failed to construct '${what}': Unsupported compression format: '${f}'`);
}

// Compressed input is inflated in slices, so one push's output (up to ~1032x its input
// for a crafted stream) stays a bounded allocation (~4 MB) instead of one huge buffer.
// Smaller slices cost more: fflate sets up a 160 KB output buffer per push.
const SLICE = 4 * 1024;

export class CompressionStream {
  readonly #transform: TransformStream<ArrayBuffer | ArrayBufferView, Uint8Array>;

  constructor(format: string) {
    const f = formatOf(format, 'CompressionStream');
    let out: Controller | null = null;
    const ondata = (data: Uint8Array) => { if (data.length > 0) out!.enqueue(data); };
    const engine = f === 'gzip' ? new Gzip(ondata) : f === 'deflate' ? new Zlib(ondata) : new Deflate(ondata);
    this.#transform = new TransformStream({
      // https://compression.spec.whatwg.org/#compress-and-enqueue-a-chunk
      transform(chunk: unknown, controller: Controller) {
        const bytes = bufferSourceBytes(chunk, "Failed to execute 'write' on 'CompressionStream'");
        out = controller;
        // fflate copies what it keeps before push returns, so the writer's buffer is safe.
        engine.push(bytes, false);
      },
      // https://compression.spec.whatwg.org/#compress-flush-and-enqueue
      flush(controller: Controller) {
        out = controller;
        engine.push(new Uint8ArrayCtor(0), true);
      },
    });
  }

  get readable(): ReadableStream<Uint8Array> { return this.#transform.readable; }
  get writable(): WritableStream<ArrayBuffer | ArrayBufferView> { return this.#transform.writable; }
  get [Symbol.toStringTag](): string { return 'CompressionStream'; }
}

export class DecompressionStream {
  readonly #transform: TransformStream<ArrayBuffer | ArrayBufferView, Uint8Array>;

  constructor(format: string) {
    const decoder = new Unwrapper(formatOf(format, 'DecompressionStream'));
    this.#transform = new TransformStream({
      // https://compression.spec.whatwg.org/#decompress-and-enqueue-a-chunk
      transform(chunk: unknown, controller: Controller) {
        const bytes = bufferSourceBytes(chunk, "Failed to execute 'write' on 'DecompressionStream'");
        decoder.push(bytes, controller);
      },
      // https://compression.spec.whatwg.org/#decompress-flush-and-enqueue
      flush(controller: Controller) {
        decoder.end(controller);
      },
    });
  }

  get readable(): ReadableStream<Uint8Array> { return this.#transform.readable; }
  get writable(): WritableStream<ArrayBuffer | ArrayBufferView> { return this.#transform.writable; }
  get [Symbol.toStringTag](): string { return 'DecompressionStream'; }
}

function corrupt(detail: string): TypeError {
  return new TypeErrorCtor(`Decompression failed: ${detail}`);
}

// fflate's streaming inflater keeps its state in short-named fields: `s.f` is set once
// the final block began and `s.l` is cleared once a block's codes are done, so
// `s.f && !s.l` means the DEFLATE stream has ended; `p` holds the input not yet used,
// starting at the byte of bit position `s.p`. This pins fflate's version (package.json).
interface InflateState { s: { f?: number; l?: unknown; p?: number }; p: Uint8Array }

/** Reads a gzip (RFC 1952), zlib (RFC 1950) or raw DEFLATE (RFC 1951) stream. */
class Unwrapper {
  readonly #format: Format;
  #phase: 'header' | 'body' | 'trailer' | 'done' = 'header';
  #buffer: Uint8Array = new Uint8ArrayCtor(0);
  #inflate: Inflate;
  #out: Controller | null = null;
  #check = 0;
  #size = 0;

  constructor(format: Format) {
    this.#format = format;
    if (format === 'deflate-raw') this.#phase = 'body';
    this.#check = format === 'deflate' ? 1 : 0;
    this.#inflate = new Inflate((data: Uint8Array) => {
      if (data.length === 0) return;
      this.#size = (this.#size + data.length) >>> 0;
      if (this.#format === 'gzip') this.#check = crc32(this.#check, data);
      else if (this.#format === 'deflate') this.#check = adler32(this.#check, data);
      this.#out!.enqueue(data);
    });
  }

  push(bytes: Uint8Array, out: Controller): void {
    this.#out = out;
    for (let i = 0; i < bytes.length; i += SLICE) this.#feed(bytes.subarray(i, i + SLICE));
  }

  end(out: Controller): void {
    this.#out = out;
    if (this.#phase === 'body') this.#inflateSafely(new Uint8ArrayCtor(0), true);
    if (this.#phase !== 'done') throw corrupt('the compressed data ended too soon');
  }

  #feed(bytes: Uint8Array): void {
    if (this.#phase === 'done') {
      if (bytes.length > 0) throw corrupt('there is data after the end of the compressed stream');
      return;
    }
    if (this.#phase === 'body') {
      this.#inflateSafely(bytes, false);
      return;
    }
    this.#buffer = concat(this.#buffer, bytes);
    if (this.#phase === 'header') {
      const len = this.#format === 'gzip' ? gzipHeaderLength(this.#buffer) : zlibHeaderLength(this.#buffer);
      if (len === 0) return; // not all of it yet
      const rest = this.#buffer.subarray(len);
      this.#buffer = new Uint8ArrayCtor(0);
      this.#phase = 'body';
      if (rest.length > 0) this.#inflateSafely(rest, false);
      return;
    }
    this.#readTrailer();
  }

  #inflateSafely(bytes: Uint8Array, final: boolean): void {
    try {
      this.#inflate.push(bytes, final);
    } catch (err) {
      throw corrupt(err instanceof Error ? err.message : 'invalid data');
    }
    const st = this.#inflate as unknown as InflateState;
    if (!(st.s.f && !st.s.l)) return;
    // The DEFLATE stream ended: what follows its last byte is the wrapper's trailer.
    const left = st.p.subarray((st.s.p ?? 0) & 7 ? 1 : 0);
    this.#phase = this.#format === 'deflate-raw' ? 'done' : 'trailer';
    this.#buffer = new Uint8ArrayCtor(0);
    if (this.#phase === 'done') {
      if (left.length > 0) throw corrupt('there is data after the end of the compressed stream');
      return;
    }
    this.#buffer = left.slice();
    this.#readTrailer();
  }

  #readTrailer(): void {
    const b = this.#buffer;
    const need = this.#format === 'gzip' ? 8 : 4;
    if (b.length < need) return;
    if (this.#format === 'gzip') {
      const crc = (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
      const size = (b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24)) >>> 0;
      if (crc !== this.#check >>> 0) throw corrupt('incorrect gzip checksum');
      if (size !== this.#size) throw corrupt('incorrect gzip length');
    } else {
      const adler = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
      if (adler !== this.#check >>> 0) throw corrupt('incorrect zlib checksum');
    }
    this.#phase = 'done';
    if (b.length > need) throw corrupt('there is data after the end of the compressed stream');
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b.slice();
  const out = new Uint8ArrayCtor(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

// RFC 1952 section 2.3: the header's length once all of it is there, else 0.
function gzipHeaderLength(b: Uint8Array): number {
  if (b.length >= 1 && b[0] !== 0x1f) throw corrupt('incorrect gzip header');
  if (b.length >= 2 && b[1] !== 0x8b) throw corrupt('incorrect gzip header');
  if (b.length >= 3 && b[2] !== 8) throw corrupt('unknown gzip compression method');
  if (b.length < 10) return 0;
  const flags = b[3];
  if (flags & 0xe0) throw corrupt('reserved gzip flags are set');
  let p = 10;
  if (flags & 4) { // FEXTRA
    if (b.length < p + 2) return 0;
    p += 2 + (b[p] | (b[p + 1] << 8));
  }
  for (const flag of [8, 16]) { // FNAME, FCOMMENT: zero-terminated
    if (!(flags & flag)) continue;
    while (p < b.length && b[p] !== 0) p++;
    if (p >= b.length) return 0;
    p++;
  }
  if (flags & 2) p += 2; // FHCRC
  return p <= b.length ? p : 0;
}

// RFC 1950 section 2.2.
function zlibHeaderLength(b: Uint8Array): number {
  if (b.length < 2) return 0;
  if ((b[0] & 0x0f) !== 8 || (b[0] >> 4) > 7 || ((b[0] << 8) | b[1]) % 31 !== 0) throw corrupt('incorrect header check');
  if (b[1] & 0x20) throw corrupt('a preset dictionary is required');
  return 2;
}

let crcTable: Int32Array | null = null;

function crc32(crc: number, data: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  const t = crcTable;
  let c = ~crc;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function adler32(adler: number, data: Uint8Array): number {
  let a = adler & 0xffff, b = adler >>> 16;
  // 5552 is the most bytes before the sums can overflow 2^32 (zlib's NMAX).
  for (let i = 0; i < data.length;) {
    const end = Math.min(i + 5552, data.length);
    for (; i < end; i++) { a += data[i]; b += a; }
    a %= 65521; b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}
