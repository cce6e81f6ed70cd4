// ReadableStream, WritableStream, TransformStream and their readers, writers and
// controllers: https://streams.spec.whatwg.org/ — from web-streams-polyfill, a port of
// the spec's reference implementation that runs in a bare isolate (checked by
// test/conformance/streams*.test.ts). Workers' own additions live here too:
// IdentityTransformStream, FixedLengthStream and ReadableStreamBYOBReader#readAtLeast
// (https://developers.cloudflare.com/workers/runtime-apis/streams/).

import {
  ReadableStream,
  ReadableStreamBYOBReader,
  TransformStream,
  WritableStream,
  type ReadableByteStreamController,
  type WritableStreamDefaultController,
} from 'web-streams-polyfill';
import { byteChunk } from './internal/byte-chunk.ts';
import { PromiseCtor, RangeErrorCtor, TypeErrorCtor } from './internal/primordials.ts';
import { SafeWeakMap } from './internal/safe-collections.ts';

export {
  ReadableStream,
  ReadableStreamDefaultReader,
  ReadableStreamBYOBReader,
  ReadableStreamDefaultController,
  ReadableByteStreamController,
  ReadableStreamBYOBRequest,
  WritableStream,
  WritableStreamDefaultWriter,
  WritableStreamDefaultController,
  TransformStream,
  TransformStreamDefaultController,
  ByteLengthQueuingStrategy,
  CountQueuingStrategy,
} from 'web-streams-polyfill';

const isView = ArrayBuffer.isView;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

// Workers' extension: read(view, { min }) under the name it had before the spec grew `min`.
Object.defineProperty(ReadableStreamBYOBReader.prototype, 'readAtLeast', {
  value: function readAtLeast(this: ReadableStreamBYOBReader, minBytes: number, view: ArrayBufferView) {
    if (!isView(view)) return Promise.reject(new TypeErrorCtor("Failed to execute 'readAtLeast' on 'ReadableStreamBYOBReader': parameter 2 is not of type 'ArrayBufferView'."));
    const elementSize = (view as unknown as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1;
    const min = Number(minBytes);
    if (!(min >= 1 && min <= view.byteLength)) {
      return Promise.reject(new TypeErrorCtor(`Failed to execute 'readAtLeast' on 'ReadableStreamBYOBReader': minBytes must be between 1 and the view's byteLength (${view.byteLength}).`));
    }
    return this.read(view as Uint8Array, { min: Math.ceil(min / elementSize) });
  },
  writable: true,
  configurable: true,
  enumerable: false,
});

interface BytePipe {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<ArrayBuffer | ArrayBufferView>;
}

// A writable whose bytes come out of a byte ReadableStream (so BYOB readers work). A
// chunk is handed over only when the readable side pulls (a read is waiting, or the
// queue is under `highWaterMark`), and its write resolves then: nothing is buffered
// beyond that, which is how Workers' identity streams behave.
function bytePipe(highWaterMark: number, expected: number | null): BytePipe {
  let rc!: ReadableByteStreamController;
  let wc!: WritableStreamDefaultController;
  let pendingWrite: { bytes: Uint8Array; resolve(): void; reject(e: unknown): void } | null = null;
  let pendingPull: (() => void) | null = null;
  let seen = 0;
  const endPull = () => {
    const p = pendingPull;
    pendingPull = null;
    p?.();
  };
  const fail = (err: unknown) => {
    rc.error(err);
    endPull();
    return err;
  };
  const readable = new ReadableStream<Uint8Array>({
    type: 'bytes',
    start(c) { rc = c; },
    pull() {
      const w = pendingWrite;
      if (!w) return new PromiseCtor<void>((resolve) => { pendingPull = resolve; });
      pendingWrite = null;
      rc.enqueue(w.bytes);
      w.resolve();
    },
    cancel(reason) {
      wc.error(reason);
      pendingWrite?.reject(reason);
      pendingWrite = null;
    },
  }, { highWaterMark });
  const writable = new WritableStream<ArrayBuffer | ArrayBufferView>({
    start(c) { wc = c; },
    write(chunk) {
      let bytes: Uint8Array;
      try {
        bytes = byteChunk(chunk);
      } catch (err) {
        throw fail(err);
      }
      seen += bytes.length;
      if (expected !== null && seen > expected) throw fail(new TypeErrorCtor('Attempt to write too many bytes through a FixedLengthStream.'));
      if (bytes.length === 0) return;
      if (pendingPull) {
        rc.enqueue(bytes);
        endPull();
        return;
      }
      return new PromiseCtor<void>((resolve, reject) => { pendingWrite = { bytes, resolve, reject }; });
    },
    close() {
      if (expected !== null && seen < expected) throw fail(new TypeErrorCtor('FixedLengthStream did not see all expected bytes before close().'));
      rc.close();
      // A BYOB read waiting at the close must be answered with an empty view.
      rc.byobRequest?.respond(0);
      endPull();
    },
    abort(reason) {
      fail(reason);
    },
  });
  return { readable, writable };
}

function highWaterMarkOf(options: unknown, what: string): number {
  if (options === undefined || options === null) return 0;
  if (typeof options !== 'object') throw new TypeErrorCtor(`Failed to construct '${what}': The provided value is not of type 'QueuingStrategyInit'.`);
  const hwm = (options as { highWaterMark?: unknown }).highWaterMark;
  if (hwm === undefined) return 0;
  const n = Number(hwm);
  if (!(n >= 0 && n <= MAX_SAFE)) throw new RangeErrorCtor(`Failed to construct '${what}': highWaterMark must be a non-negative number of bytes.`);
  return Math.floor(n);
}

// Overridden accessors hide the base class's own pair, which stays unused.
const pipes = new SafeWeakMap<object, BytePipe>();
// The readable side of each FixedLengthStream, with its length: a response whose body
// it is goes out with that Content-Length instead of chunked, as on Workers.
const fixedLengths = new SafeWeakMap<object, number>();

/** The length a FixedLengthStream promised for this readable, or undefined. */
export function fixedLengthOf(readable: object): number | undefined {
  return fixedLengths.get(readable);
}

/** A TransformStream that passes bytes through unchanged; its readable side is a byte stream. */
export class IdentityTransformStream extends TransformStream<ArrayBuffer | ArrayBufferView, Uint8Array> {
  constructor(options?: { highWaterMark?: number }) {
    super();
    pipes.set(this, bytePipe(highWaterMarkOf(options, 'IdentityTransformStream'), null));
  }

  override get readable(): ReadableStream<Uint8Array> { return pipes.get(this)!.readable; }
  override get writable(): WritableStream<ArrayBuffer | ArrayBufferView> { return pipes.get(this)!.writable; }
  get [Symbol.toStringTag](): string { return 'IdentityTransformStream'; }
}

/** An identity byte stream that must carry exactly `expectedLength` bytes. */
export class FixedLengthStream extends IdentityTransformStream {
  constructor(expectedLength: number | bigint, options?: { highWaterMark?: number }) {
    const n = typeof expectedLength === 'bigint' ? Number(expectedLength) : expectedLength;
    if (typeof n !== 'number') throw new TypeErrorCtor("Failed to construct 'FixedLengthStream': parameter 1 is not of type 'number'.");
    if (!(n >= 0 && n <= MAX_SAFE) || Math.floor(n) !== n) {
      throw new RangeErrorCtor("Failed to construct 'FixedLengthStream': expectedLength must be a non-negative integer.");
    }
    super(options);
    const pipe = bytePipe(highWaterMarkOf(options, 'FixedLengthStream'), n);
    pipes.set(this, pipe);
    fixedLengths.set(pipe.readable, n);
  }

  get [Symbol.toStringTag](): string { return 'FixedLengthStream'; }
}
