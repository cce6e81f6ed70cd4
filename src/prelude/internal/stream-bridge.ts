// Streams crossing the bridge by id.
// - hostReadable(id): a byte ReadableStream in the isolate that pulls chunks from a host
//   resource (an incoming request body, a fetch response body) with `stream_read`.
// - exportReadable(stream): registers an isolate ReadableStream so the host can pull it
//   chunk by chunk (`pull` tasks answered with `stream_chunk`): response bodies and
//   outbound request bodies. One pull at a time per stream gives backpressure.

import { ReadableStream } from '../streams.ts';
import { hostAsync, hostSync, onTask } from './bridge.ts';
import { MapCtor, Uint8ArrayCtor } from './primordials.ts';

export function hostReadable(streamId: number): ReadableStream<Uint8Array> {
  let done = false;
  return new ReadableStream({
    type: 'bytes',
    async pull(controller) {
      const chunk = await hostAsync('stream_read', streamId);
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

onTask('pull', ({ streamId }) => {
  const entry = exported.get(streamId);
  if (!entry) {
    hostSync('stream_chunk', streamId, null, 'stream is gone');
    return;
  }
  entry.reader.read().then(
    ({ done, value }) => {
      if (done) {
        exported.delete(streamId);
        hostSync('stream_chunk', streamId, null, null);
        return;
      }
      if (!(value instanceof Uint8ArrayCtor)) {
        exported.delete(streamId);
        const err = 'This ReadableStream did not return bytes.';
        entry.reader.cancel(new TypeError(err)).catch(() => {});
        hostSync('stream_chunk', streamId, null, err);
        return;
      }
      hostSync('stream_chunk', streamId, value, null);
    },
    (err: unknown) => {
      exported.delete(streamId);
      let message: string;
      try { message = String(err instanceof Error ? err.message : err); } catch { message = 'stream errored'; }
      hostSync('stream_chunk', streamId, null, message);
    },
  );
});

onTask('cancel', ({ streamId, reason }) => {
  const entry = exported.get(streamId);
  if (!entry) return;
  exported.delete(streamId);
  entry.reader.cancel(reason).catch(() => {});
});
