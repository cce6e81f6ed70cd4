// TextEncoderStream / TextDecoderStream: https://encoding.spec.whatwg.org/#interface-textencoderstream
// Both are GenericTransformStreams: a TransformStream kept inside, its two ends exposed.

import { TransformStream, type ReadableStream, type WritableStream } from './streams.ts';
import { TextDecoder, bufferSourceBytes } from './encoding.ts';
import { utf8Encode } from './internal/utf8.ts';
import { StringCtor, Uint8ArrayCtor } from './internal/primordials.ts';

type Controller<T> = { enqueue(chunk: T): void };

export class TextEncoderStream {
  readonly #transform: TransformStream<string, Uint8Array>;

  constructor() {
    // https://encoding.spec.whatwg.org/#encode-and-enqueue-a-chunk: a high surrogate at
    // the end of a chunk waits for the next one, so a pair split across chunks survives.
    let pendingHigh = '';
    this.#transform = new TransformStream<string, Uint8Array>({
      transform(chunk: unknown, controller: Controller<Uint8Array>) {
        let s = pendingHigh + StringCtor(chunk);
        pendingHigh = '';
        const last = s.charCodeAt(s.length - 1);
        if (last >= 0xd800 && last <= 0xdbff) {
          pendingHigh = s.slice(-1);
          s = s.slice(0, -1);
        }
        if (s.length > 0) controller.enqueue(utf8Encode(s));
      },
      // https://encoding.spec.whatwg.org/#encode-and-flush: a lone high surrogate is U+FFFD.
      flush(controller: Controller<Uint8Array>) {
        if (pendingHigh) controller.enqueue(new Uint8ArrayCtor([0xef, 0xbf, 0xbd]));
      },
    });
  }

  get encoding(): string { return 'utf-8'; }
  get readable(): ReadableStream<Uint8Array> { return this.#transform.readable; }
  get writable(): WritableStream<string> { return this.#transform.writable; }
  get [Symbol.toStringTag](): string { return 'TextEncoderStream'; }
}

export class TextDecoderStream {
  readonly #decoder: TextDecoder;
  readonly #transform: TransformStream<ArrayBuffer | ArrayBufferView, string>;

  constructor(label: string = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    const decoder = new TextDecoder(label, options);
    this.#decoder = decoder;
    this.#transform = new TransformStream<ArrayBuffer | ArrayBufferView, string>({
      // https://encoding.spec.whatwg.org/#decode-and-enqueue-a-chunk
      transform(chunk: unknown, controller: Controller<string>) {
        const bytes = bufferSourceBytes(chunk, "Failed to execute 'write' on 'TextDecoderStream'");
        const text = decoder.decode(bytes, { stream: true });
        if (text.length > 0) controller.enqueue(text);
      },
      // https://encoding.spec.whatwg.org/#flush-and-enqueue
      flush(controller: Controller<string>) {
        const text = decoder.decode();
        if (text.length > 0) controller.enqueue(text);
      },
    });
  }

  get encoding(): string { return this.#decoder.encoding; }
  get fatal(): boolean { return this.#decoder.fatal; }
  get ignoreBOM(): boolean { return this.#decoder.ignoreBOM; }
  get readable(): ReadableStream<string> { return this.#transform.readable; }
  get writable(): WritableStream<ArrayBuffer | ArrayBufferView> { return this.#transform.writable; }
  get [Symbol.toStringTag](): string { return 'TextDecoderStream'; }
}
