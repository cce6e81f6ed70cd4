// Blob: https://w3c.github.io/FileAPI/#blob-section
// A Blob's bytes are held in one immutable Uint8Array; slices share it, and every
// reader hands out a copy, so nothing a tenant gets back can change a Blob.

import { ReadableStream } from './streams.ts';
import { registerBodyExtractor, registerBodyReader } from './body.ts';
import { ArrayPrototypePush, PromiseResolve, StringCtor, TypeErrorCtor, Uint8ArrayCtor } from './internal/primordials.ts';
import { utf8Decode, utf8Encode } from './internal/utf8.ts';

export type BlobPart = string | ArrayBuffer | ArrayBufferView | Blob;
export interface BlobPropertyBag {
  type?: string;
  endings?: 'transparent' | 'native';
}

const bytesOf = new WeakMap<Blob, Uint8Array>();
const typeOf = new WeakMap<Blob, string>();
/** Chunk size of blob.stream(): the same as the bridge's, so a body crosses in few steps. */
const STREAM_CHUNK = 64 * 1024;

function st(b: Blob): Uint8Array {
  const bytes = bytesOf.get(b);
  if (!bytes) throw new TypeErrorCtor('Illegal invocation');
  return bytes;
}

// https://w3c.github.io/FileAPI/#dom-blob-blob step 3: a type with a byte outside
// U+0020..U+007E becomes the empty string; otherwise it is lower-cased.
export function normalizeType(type: unknown): string {
  const t = StringCtor(type);
  return /^[\x20-\x7e]*$/.test(t) ? t.toLowerCase() : '';
}

// https://w3c.github.io/FileAPI/#process-blob-parts
export function processBlobParts(parts: unknown, endings: unknown, what: string): Uint8Array {
  if (parts === undefined) return new Uint8ArrayCtor(0);
  if (parts === null || typeof parts !== 'object' || typeof (parts as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw new TypeErrorCtor(`Failed to construct '${what}': The provided value cannot be converted to a sequence.`);
  }
  if (endings !== undefined && endings !== 'transparent' && endings !== 'native') {
    throw new TypeErrorCtor(`Failed to construct '${what}': The provided value '${StringCtor(endings)}' is not a valid enum value of type EndingType.`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (const part of parts as Iterable<unknown>) {
    let bytes: Uint8Array;
    const blob = part !== null && typeof part === 'object' ? bytesOf.get(part as Blob) : undefined;
    if (blob) bytes = blob;
    else if (part instanceof ArrayBuffer) bytes = new Uint8ArrayCtor(part.slice(0));
    else if (ArrayBuffer.isView(part)) bytes = new Uint8ArrayCtor(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength) as ArrayBuffer);
    else {
      let s = StringCtor(part);
      // "native" line endings are LF on the platforms atoll runs on.
      if (endings === 'native') s = s.replace(/\r\n?/g, '\n');
      bytes = utf8Encode(s);
    }
    ArrayPrototypePush(chunks, bytes);
    total += bytes.byteLength;
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8ArrayCtor(total);
  let o = 0;
  for (let i = 0; i < chunks.length; i++) { out.set(chunks[i], o); o += chunks[i].byteLength; }
  return out;
}

export class Blob {
  constructor(blobParts?: Iterable<BlobPart>, options?: BlobPropertyBag) {
    if (options !== undefined && options !== null && typeof options !== 'object') {
      throw new TypeErrorCtor("Failed to construct 'Blob': The provided value is not of type 'BlobPropertyBag'.");
    }
    bytesOf.set(this, processBlobParts(blobParts, options?.endings, 'Blob'));
    typeOf.set(this, options?.type === undefined ? '' : normalizeType(options.type));
  }

  get size(): number { return st(this).byteLength; }
  get type(): string { st(this); return typeOf.get(this)!; }

  // https://w3c.github.io/FileAPI/#dfn-slice: negative positions count from the end.
  slice(start?: number, end?: number, contentType?: string): Blob {
    const bytes = st(this);
    const size = bytes.byteLength;
    const clamp = (v: number | undefined, dflt: number): number => {
      if (v === undefined) return dflt;
      const n = Math.trunc(Number(v)) || 0;
      return n < 0 ? Math.max(size + n, 0) : Math.min(n, size);
    };
    const from = clamp(start, 0);
    const to = clamp(end, size);
    return blobFromBytes(bytes.subarray(from, Math.max(from, to)), contentType === undefined ? '' : normalizeType(contentType));
  }

  stream(): ReadableStream<Uint8Array> {
    const bytes = st(this);
    let offset = 0;
    return new ReadableStream({
      type: 'bytes',
      pull(controller) {
        if (offset >= bytes.byteLength) {
          controller.close();
          controller.byobRequest?.respond(0);
          return;
        }
        const end = Math.min(offset + STREAM_CHUNK, bytes.byteLength);
        controller.enqueue(bytes.slice(offset, end));
        offset = end;
      },
    });
  }

  text(): Promise<string> {
    try { return PromiseResolve(utf8Decode(st(this))); } catch (err) { return Promise.reject(err); }
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    try { return PromiseResolve(st(this).slice().buffer as ArrayBuffer); } catch (err) { return Promise.reject(err); }
  }

  bytes(): Promise<Uint8Array> {
    try { return PromiseResolve(st(this).slice()); } catch (err) { return Promise.reject(err); }
  }

  get [Symbol.toStringTag](): string { return 'Blob'; }
}

/** A Blob over `bytes` (not copied: the caller hands them over). */
export function blobFromBytes(bytes: Uint8Array, type: string, target?: Blob): Blob {
  const b = target ?? (Object.create(Blob.prototype) as Blob);
  bytesOf.set(b, bytes);
  typeOf.set(b, type);
  return b;
}

/** The bytes of a Blob (shared: never hand them to tenant code), or undefined. */
export function blobBytes(value: unknown): Uint8Array | undefined {
  return value !== null && typeof value === 'object' ? bytesOf.get(value as Blob) : undefined;
}

// https://fetch.spec.whatwg.org/#concept-bodyinit-extract: a Blob body is its bytes,
// with its type as the Content-Type when it has one.
registerBodyExtractor((init) => {
  const bytes = blobBytes(init);
  if (!bytes) return undefined;
  const type = typeOf.get(init as Blob)!;
  return { bytes: bytes.slice(), stream: null, contentType: type === '' ? null : type };
});

registerBodyReader('blob', (bytes, contentType) => blobFromBytes(bytes, contentType === null ? '' : normalizeType(contentType)));
