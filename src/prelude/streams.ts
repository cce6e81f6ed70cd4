// ReadableStream, WritableStream, TransformStream and their readers, writers and
// controllers: https://streams.spec.whatwg.org/ — from web-streams-polyfill, a port of
// the spec's reference implementation that runs in a bare isolate.

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
