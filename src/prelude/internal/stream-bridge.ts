// Streams crossing the bridge by id.
// - hostReadable(id): a byte ReadableStream in the isolate that pulls chunks from a host
//   resource (an incoming request body, a fetch response body) with `stream_read`.
// - exportReadable(stream): registers an isolate ReadableStream so the host can pull it
//   chunk by chunk (`pull` tasks answered with `stream_chunk`): response bodies and
//   outbound request bodies. One pull at a time per stream gives backpressure.

import { ReadableStream } from '../streams.ts';
import { hostAsync, hostSync, onTask } from './bridge.ts';
import { MapCtor, TypeErrorCtor, Uint8ArrayCtor } from './primordials.ts';

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
  reader: { read(): Promise<{ done: boolean; value?: unknown }>; cancel(reason?: unknown): Promise<void> };
}

const exported = new MapCtor<number, Exported>();
// Negative ids keep isolate-owned streams apart from host-owned ones in logs.
let nextExportId = -1;

export function exportReadable(stream: ReadableStream<unknown>): number {
  const id = nextExportId--;
  exported.set(id, { reader: stream.getReader() as unknown as Exported['reader'] });
  return id;
}

// Workers sends any ArrayBuffer or ArrayBufferView chunk of a body stream as bytes
// (the bridge copies them), and fails the body on anything else.
function bodyChunk(value: unknown): Uint8Array | null {
  if (value instanceof Uint8ArrayCtor) return value;
  if (value instanceof ArrayBufferCtor) return new Uint8ArrayCtor(value);
  if (isView(value)) return new Uint8ArrayCtor(value.buffer, value.byteOffset, value.byteLength);
  return null;
}

onTask('pull', ({ streamId }) => {
  const entry = exported.get(streamId);
  if (!entry) {
    hostSync('stream_chunk', streamId, null, 'stream is gone');
    return;
  }
  answerPull(streamId, entry);
});

function answerPull(streamId: number, entry: Exported): void {
  entry.reader.read().then(
    ({ done, value }) => {
      if (done) {
        exported.delete(streamId);
        hostSync('stream_chunk', streamId, null, null);
        return;
      }
      const bytes = bodyChunk(value);
      if (bytes === null) {
        exported.delete(streamId);
        const err = 'This ReadableStream did not return bytes.';
        entry.reader.cancel(new TypeErrorCtor(err)).catch(() => {});
        hostSync('stream_chunk', streamId, null, err);
        return;
      }
      // An empty chunk would cost the host a round trip for nothing: read on.
      if (bytes.byteLength === 0) answerPull(streamId, entry);
      else hostSync('stream_chunk', streamId, bytes, null);
    },
    (err: unknown) => {
      exported.delete(streamId);
      let message: string;
      try { message = String(err instanceof Error ? err.message : err); } catch { message = 'stream errored'; }
      hostSync('stream_chunk', streamId, null, message);
    },
  );
}

onTask('cancel', ({ streamId, reason }) => {
  const entry = exported.get(streamId);
  if (!entry) return;
  exported.delete(streamId);
  entry.reader.cancel(reason).catch(() => {});
});
