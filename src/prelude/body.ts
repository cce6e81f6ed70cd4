// The Body mixin shared by Request and Response: https://fetch.spec.whatwg.org/#body-mixin
// A body is either known bytes (strings, buffers: kept as bytes so the common case never
// builds a stream) or a ReadableStream. `.body` turns known bytes into a stream on demand.

import type { BodyRef } from '../shared/ops.ts';
import { fixedLengthOf, ReadableStream } from './streams.ts';
import { exportReadable, hostReadable } from './internal/stream-bridge.ts';
import { hostAsync, hostSync } from './internal/bridge.ts';
import { URLSearchParams } from './url.ts';
import { ArrayPrototypePush, JSONParse, PromisePrototypeThen, PromiseReject, PromiseResolve, TypeErrorCtor, Uint8ArrayCtor } from './internal/primordials.ts';
import { utf8Decode, utf8Encode } from './internal/utf8.ts';

export type BodyInit = ReadableStream<Uint8Array> | string | ArrayBuffer | ArrayBufferView | object | null;

export interface ExtractedBody {
  bytes: Uint8Array | null;
  stream: ReadableStream<Uint8Array> | null;
  contentType: string | null;
}

type Extractor = (init: object) => ExtractedBody | undefined;
const extractors: Extractor[] = [];

/** Blob, FormData and URLSearchParams register how they become a body (avoids cycles). */
export function registerBodyExtractor(fn: Extractor): void {
  ArrayPrototypePush(extractors, fn);
}

type Reader<T> = (bytes: Uint8Array, contentType: string | null) => T | Promise<T>;
const readers: { blob?: Reader<unknown>; formData?: Reader<unknown> } = {};

export function registerBodyReader(kind: 'blob' | 'formData', fn: Reader<unknown>): void {
  readers[kind] = fn;
}

function copyBytes(view: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (view instanceof ArrayBuffer) return new Uint8ArrayCtor(view.slice(0));
  const v = view as ArrayBufferView;
  return new Uint8ArrayCtor(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer);
}

// https://fetch.spec.whatwg.org/#concept-bodyinit-extract
export function extractBody(init: BodyInit | undefined): ExtractedBody {
  if (init === null || init === undefined) return { bytes: null, stream: null, contentType: null };
  if (typeof init === 'string') return { bytes: utf8Encode(init), stream: null, contentType: 'text/plain;charset=UTF-8' };
  if (init instanceof ArrayBuffer || ArrayBuffer.isView(init)) return { bytes: copyBytes(init as ArrayBuffer), stream: null, contentType: null };
  if (init instanceof ReadableStream) {
    if (init.locked || isDisturbed(init)) throw new TypeErrorCtor('This ReadableStream is disturbed (has already been read from), and cannot be used as a body.');
    return { bytes: null, stream: init as ReadableStream<Uint8Array>, contentType: null };
  }
  if (init instanceof URLSearchParams) {
    return { bytes: utf8Encode(init.toString()), stream: null, contentType: 'application/x-www-form-urlencoded;charset=UTF-8' };
  }
  if (typeof init === 'object') {
    for (let i = 0; i < extractors.length; i++) {
      const out = extractors[i](init);
      if (out) return out;
    }
  }
  return { bytes: utf8Encode(String(init)), stream: null, contentType: 'text/plain;charset=UTF-8' };
}

interface BodyState {
  bytes: Uint8Array | null;
  stream: ReadableStream<Uint8Array> | null;
  consumed: boolean;
}

const stateOf = new WeakMap<object, BodyState>();

function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    type: 'bytes',
    start(controller) {
      if (bytes.byteLength > 0) controller.enqueue(bytes);
      controller.close();
    },
  });
}

function isDisturbed(stream: ReadableStream<unknown>): boolean {
  // web-streams-polyfill follows the reference implementation, which keeps the spec's
  // [[disturbed]] slot as `_disturbed`.
  return (stream as unknown as { _disturbed: boolean })._disturbed === true;
}

/** Gives a Request or Response its body (a function, not a static, so tenant code cannot reach it). */
export function initBody(target: Body, bytes: Uint8Array | null, stream: ReadableStream<Uint8Array> | null): void {
  stateOf.set(target, { bytes, stream, consumed: false });
}

function st(body: Body): BodyState {
  const s = stateOf.get(body);
  if (!s) throw new TypeErrorCtor('Illegal invocation');
  return s;
}

export class Body {
  get body(): ReadableStream<Uint8Array> | null {
    const s = st(this);
    if (s.stream) return s.stream;
    if (s.bytes) {
      s.stream = bytesStream(s.consumed ? new Uint8ArrayCtor(0) : s.bytes);
      s.bytes = null;
    }
    return s.stream;
  }

  get bodyUsed(): boolean {
    const s = st(this);
    if (s.consumed) return true;
    return s.stream !== null && isDisturbed(s.stream);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return PromisePrototypeThen(consume(this, 'arrayBuffer'), (b) => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer as ArrayBuffer : b.slice().buffer as ArrayBuffer));
  }

  bytes(): Promise<Uint8Array> {
    return consume(this, 'bytes');
  }

  // https://fetch.spec.whatwg.org/#dom-body-text: UTF-8 decode, which drops a leading BOM.
  text(): Promise<string> {
    return PromisePrototypeThen(consume(this, 'text'), decodeText);
  }

  json(): Promise<unknown> {
    return PromisePrototypeThen(consume(this, 'json'), (b) => JSONParse(decodeText(b)));
  }

  blob(): Promise<unknown> {
    return PromisePrototypeThen(consume(this, 'blob'), (b) => readers.blob!(b, contentTypeOf(this)));
  }

  formData(): Promise<unknown> {
    return PromisePrototypeThen(consume(this, 'formData'), (b) => readers.formData!(b, contentTypeOf(this)));
  }
}

function decodeText(bytes: Uint8Array): string {
  const text = utf8Decode(bytes);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

const contentTypeLookups: ((body: Body) => string | null | undefined)[] = [];
/** Request and Response each tell the mixin how to find their Content-Type. */
export function registerContentTypeLookup(fn: (body: Body) => string | null | undefined): void {
  ArrayPrototypePush(contentTypeLookups, fn);
}

function contentTypeOf(body: Body): string | null {
  for (let i = 0; i < contentTypeLookups.length; i++) {
    const t = contentTypeLookups[i](body);
    if (t !== undefined) return t;
  }
  return null;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!(value instanceof Uint8ArrayCtor)) throw new TypeErrorCtor('This ReadableStream did not return bytes.');
    ArrayPrototypePush(chunks, value);
    total += value.byteLength;
  }
  return concat(chunks, total);
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8ArrayCtor(total);
  let o = 0;
  for (let i = 0; i < chunks.length; i++) { out.set(chunks[i], o); o += chunks[i].byteLength; }
  return out;
}

// https://fetch.spec.whatwg.org/#concept-body-consume-body
function consume(body: Body, method: string): Promise<Uint8Array> {
  const s = stateOf.get(body);
  if (!s) return PromiseReject(new TypeErrorCtor(`Illegal invocation: ${method}() called on an object that is not a Request or Response.`));
  if (body.bodyUsed) return PromiseReject(new TypeErrorCtor(USED));
  if (s.stream && s.stream.locked) return PromiseReject(new TypeErrorCtor(`Failed to execute '${method}': the body's ReadableStream is locked to a reader.`));
  if (s.stream) {
    const src = hostSourceOf.get(s.stream);
    if (src && !isDisturbed(s.stream)) {
      s.consumed = true;
      return readHost(s.stream, src);
    }
    return readAll(s.stream);
  }
  // A null body is never "used": it reads as empty every time.
  if (s.bytes === null) return PromiseResolve(new Uint8ArrayCtor(0));
  s.consumed = true;
  return PromiseResolve(s.bytes);
}

const USED = 'Body has already been used. It can only be used once. Use tee() first if you need to read it twice.';

/** Bytes and stream of a body, without consuming it (for clone, fetch, respond). */
export function bodyState(body: Body): BodyState {
  return st(body);
}

/** Tees a body for clone(): https://fetch.spec.whatwg.org/#concept-body-clone */
export function cloneBody(body: Body): { bytes: Uint8Array | null; stream: ReadableStream<Uint8Array> | null } {
  const s = st(body);
  if (body.bodyUsed || (s.stream && s.stream.locked)) throw new TypeErrorCtor(`Failed to execute 'clone': ${USED}`);
  if (s.stream) {
    const [a, b] = s.stream.tee();
    s.stream = a;
    return { bytes: null, stream: b };
  }
  // Each side gets its own bytes: arrayBuffer() may hand the buffer to tenant code.
  return { bytes: s.bytes ? s.bytes.slice() : null, stream: null };
}

/**
 * Describes a body for the host and gives it up: known bytes go along at once, a stream
 * is registered for the host to pull. With `passthrough`, a body that is still a plain
 * view of a host stream goes back as that host stream's (positive) id, and the host
 * reads it directly: a worker that returns or forwards a fetch response or a request
 * body spends no CPU time per chunk. Only consumers that read host ids ask for it.
 */
export function takeBodyRef(body: Body, passthrough = false): BodyRef {
  const s = st(body);
  if (body.bodyUsed || (s.stream && s.stream.locked)) throw new TypeErrorCtor(USED);
  const src = passthrough && s.stream ? hostSourceOf.get(s.stream) : undefined;
  if (src && !isDisturbed(s.stream!)) {
    // Locked, the isolate side can no longer read it: the host owns the bytes now.
    s.stream!.getReader();
    s.consumed = true;
    return { stream: src.id };
  }
  if (s.stream) {
    const length = fixedLengthOf(s.stream);
    const ref = length === undefined ? { stream: exportReadable(s.stream) } : { stream: exportReadable(s.stream), length };
    s.consumed = true;
    return ref;
  }
  if (s.bytes) {
    s.consumed = true;
    return { bytes: s.bytes };
  }
  return null;
}

/** The isolate-side body for a BodyRef the host sent. */
export function bodyFromRef(ref: BodyRef): { bytes: Uint8Array | null; stream: ReadableStream<Uint8Array> | null } {
  if (ref === null) return { bytes: null, stream: null };
  if ('bytes' in ref) return { bytes: ref.bytes, stream: null };
  const stream = hostReadable(ref.stream);
  registerHostBody(stream, ref.stream, null);
  return { bytes: null, stream };
}

interface HostSource {
  id: number;
  /** Ends the read with the signal's reason once it fires (fetch response bodies). */
  signal: { aborted: boolean; reason: unknown } | null;
}

const hostSourceOf = new WeakMap<object, HostSource>();

/**
 * Marks `stream` as a plain view of host stream `id`: a body read whole (text(), json(),
 * ...) before anyone touched the stream then reads the host directly, skipping a
 * ReadableStream round per chunk (it halves the CPU time of reading a large upload).
 */
export function registerHostBody(stream: ReadableStream<Uint8Array>, id: number, signal: HostSource['signal']): void {
  hostSourceOf.set(stream, { id, signal });
}

async function readHost(stream: ReadableStream<Uint8Array>, src: HostSource): Promise<Uint8Array> {
  // Locked, the stream can no longer be read another way: the body is used.
  stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: Uint8Array | null;
    try {
      chunk = await hostAsync('stream_read', src.id);
    } catch (err) {
      throw src.signal?.aborted ? src.signal.reason : err;
    }
    if (src.signal?.aborted) {
      if (chunk !== null) hostSync('stream_cancel', src.id);
      throw src.signal.reason;
    }
    if (chunk === null) break;
    ArrayPrototypePush(chunks, chunk);
    total += chunk.byteLength;
  }
  return concat(chunks, total);
}
