// Streams crossing the bridge by id.
// - hostReadable(id): a byte ReadableStream in the isolate that pulls chunks from a host
//   resource (an incoming request body, a fetch response body) with `stream_read`.
// - exportReadable(stream): registers an isolate ReadableStream so the host can pull it
//   chunk by chunk (`pull` tasks answered with `stream_chunk`): response bodies and
//   outbound request bodies. One pull at a time per stream gives backpressure.

import { ReadableStream, ReadableStreamDefaultReader } from '../streams.ts';
import { hostAsync, hostPost, hostSync, onTask } from './bridge.ts';
import { ErrorCtor, MapCtor, PromisePrototypeThen, ReflectApply, StringCtor, TypeErrorCtor, Uint8ArrayCtor } from './primordials.ts';

const ArrayBufferCtor = ArrayBuffer;
const isView = ArrayBuffer.isView;

export function hostReadable(streamId: number): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream({
    type: 'bytes',
    async pull(controller) {
      let chunk = await hostAsync('stream_read', streamId);
      // A byte stream refuses empty chunks, and a pull that enqueues nothing is not
      // called again: skip them here.
      while (chunk !== null && chunk.byteLength === 0) chunk = await hostAsync('stream_read', streamId);
      if (chunk === null) {
        done = true;
        controller.close();
        // A BYOB reader waiting on a close must be answered with an empty view.
        controller.byobRequest?.respond(0);
        return;
      }
      controller.enqueue(chunk);
    },
    cancel() {
      if (!done) hostSync('stream_cancel', streamId);
    },
  });
}

interface Exported {
  reader: ReadableStreamDefaultReader<unknown>;
}

// The stream methods the bridge relies on, captured: tenant code may patch the
// prototypes or shadow them on its own stream objects.
const getReader = ReadableStream.prototype.getReader;
const readerRead = ReadableStreamDefaultReader.prototype.read;
const readerCancel = ReadableStreamDefaultReader.prototype.cancel;
const read = (reader: ReadableStreamDefaultReader<unknown>) => ReflectApply(readerRead, reader, []) as Promise<{ done: boolean; value?: unknown }>;
const cancel = (reader: ReadableStreamDefaultReader<unknown>, reason: unknown) => {
  PromisePrototypeThen(ReflectApply(readerCancel, reader, [reason]) as Promise<void>, undefined, () => {});
};

const exported = new MapCtor<number, Exported>();
// Negative ids keep isolate-owned streams apart from host-owned ones in logs.
let nextExportId = -1;

export function exportReadable(stream: ReadableStream<unknown>): number {
  const id = nextExportId--;
  exported.set(id, { reader: ReflectApply(getReader, stream, []) as ReadableStreamDefaultReader<unknown> });
  return id;
}

// Workers sends any ArrayBuffer or ArrayBufferView chunk of a body stream as bytes
// (the bridge copies them), and fails the body on anything else. Bytes in shared
// memory are copied first, so nothing the isolate can still change crosses the bridge.
function bodyChunk(value: unknown): Uint8Array | null {
  let view: Uint8Array;
  if (value instanceof ArrayBufferCtor) view = new Uint8ArrayCtor(value);
  else if (isView(value)) view = new Uint8ArrayCtor(value.buffer, value.byteOffset, value.byteLength);
  else return null;
  return view.buffer instanceof ArrayBufferCtor ? view : new Uint8ArrayCtor(view);
}

onTask('pull', ({ streamId }) => {
  const entry = exported.get(streamId);
  if (!entry) {
    hostPost('stream_chunk', streamId, null, 'stream is gone');
    return;
  }
  answerPull(streamId, entry);
});

function answerPull(streamId: number, entry: Exported): void {
  PromisePrototypeThen(
    read(entry.reader),
    (result) => {
      try {
        answerChunk(streamId, entry, result);
      } catch (err) {
        // A chunk that threw while being read (a getter, a Proxy): the body fails, but
        // the host always gets its answer and never waits on a stream forever.
        fail(streamId, entry, err);
      }
    },
    (err: unknown) => fail(streamId, entry, err),
  );
}

function answerChunk(streamId: number, entry: Exported, { done, value }: { done: boolean; value?: unknown }): void {
  if (done) {
    exported.delete(streamId);
    hostPost('stream_chunk', streamId, null, null);
    return;
  }
  const bytes = bodyChunk(value);
  if (bytes === null) {
    exported.delete(streamId);
    const err = 'This ReadableStream did not return bytes.';
    cancel(entry.reader, new TypeErrorCtor(err));
    hostPost('stream_chunk', streamId, null, err);
    return;
  }
  // An empty chunk would cost the host a round trip for nothing: read on.
  if (bytes.byteLength === 0) answerPull(streamId, entry);
  else hostPost('stream_chunk', streamId, bytes, null);
}

function fail(streamId: number, entry: Exported, err: unknown): void {
  if (!exported.has(streamId)) return;
  exported.delete(streamId);
  let message: string;
  try { message = StringCtor(err instanceof ErrorCtor ? err.message : err); } catch { message = 'stream errored'; }
  cancel(entry.reader, err);
  hostPost('stream_chunk', streamId, null, message);
}

onTask('cancel', ({ streamId, reason }) => {
  const entry = exported.get(streamId);
  if (!entry) return;
  exported.delete(streamId);
  cancel(entry.reader, reason);
});
