// What a byte stream accepts as a chunk. Workers takes any ArrayBuffer or
// ArrayBufferView on a byte stream's writable side and in a body stream, and refuses
// strings and everything else with a TypeError.

import { TypeErrorCtor, Uint8ArrayCtor } from './primordials.ts';

const ArrayBufferCtor = ArrayBuffer;
const isView = ArrayBuffer.isView;

/** The chunk's bytes, copied: the writer keeps its buffer and may reuse it. */
export function byteChunk(chunk: unknown): Uint8Array {
  if (chunk instanceof ArrayBufferCtor) return new Uint8ArrayCtor(chunk.slice(0));
  if (isView(chunk)) return new Uint8ArrayCtor(chunk.buffer.slice(chunk.byteOffset, chunk.byteOffset + chunk.byteLength) as ArrayBuffer);
  if (typeof chunk === 'string') {
    throw new TypeErrorCtor("This TransformStream is being used as a byte stream, but received a string on its writable side. If you wish to write a string, you'll probably want to explicitly UTF-8-encode it with TextEncoder.");
  }
  throw new TypeErrorCtor('This TransformStream is being used as a byte stream, but received an object of non-ArrayBuffer/ArrayBufferView type on its writable side.');
}

