// TextEncoder / TextDecoder: https://encoding.spec.whatwg.org/#interface-textencoder

import { utf8DecodeChunk, utf8Encode } from './internal/utf8.ts';
import { Uint8ArrayCtor } from './internal/primordials.ts';

export class TextEncoder {
  get encoding(): string { return 'utf-8'; }

  encode(input = ''): Uint8Array {
    return utf8Encode(String(input));
  }

  // https://encoding.spec.whatwg.org/#dom-textencoder-encodeinto
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number } {
    if (!(destination instanceof Uint8ArrayCtor)) throw new TypeError("Failed to execute 'encodeInto' on 'TextEncoder': parameter 2 is not of type 'Uint8Array'.");
    const s = String(source);
    let read = 0, written = 0;
    for (const ch of s) {
      const bytes = utf8Encode(ch);
      if (written + bytes.length > destination.length) break;
      destination.set(bytes, written);
      written += bytes.length;
      read += ch.length;
    }
    return { read, written };
  }

  get [Symbol.toStringTag](): string { return 'TextEncoder'; }
}

const UTF8_LABELS = new Set(['unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'utf-8', 'utf8', 'x-unicode20utf8']);

export class TextDecoder {
  readonly #fatal: boolean;
  readonly #ignoreBOM: boolean;
  #pending: Uint8Array | null = null;
  #bomSeen = false;

  constructor(label = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    const l = String(label).trim().toLowerCase();
    if (!UTF8_LABELS.has(l)) throw new RangeError(`Failed to construct 'TextDecoder': The encoding label provided ('${label}') is invalid.`);
    this.#fatal = !!options?.fatal;
    this.#ignoreBOM = !!options?.ignoreBOM;
  }

  get encoding(): string { return 'utf-8'; }
  get fatal(): boolean { return this.#fatal; }
  get ignoreBOM(): boolean { return this.#ignoreBOM; }

  decode(input?: ArrayBuffer | ArrayBufferView, options: { stream?: boolean } = {}): string {
    let bytes: Uint8Array;
    if (input === undefined || input === null) bytes = new Uint8ArrayCtor(0);
    else if (input instanceof ArrayBuffer) bytes = new Uint8ArrayCtor(input);
    else if (ArrayBuffer.isView(input)) bytes = new Uint8ArrayCtor(input.buffer, input.byteOffset, input.byteLength);
    else throw new TypeError("Failed to execute 'decode' on 'TextDecoder': The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.");
    const stream = !!options?.stream;
    if (this.#pending) {
      const joined = new Uint8ArrayCtor(this.#pending.length + bytes.length);
      joined.set(this.#pending);
      joined.set(bytes, this.#pending.length);
      bytes = joined;
      this.#pending = null;
    }
    const { text, rest } = utf8DecodeChunk(bytes, stream);
    if (rest > 0) this.#pending = bytes.slice(bytes.length - rest);
    let out = text;
    if (!this.#ignoreBOM && !this.#bomSeen && out.length > 0) {
      if (out.charCodeAt(0) === 0xfeff) out = out.slice(1);
      this.#bomSeen = true;
    }
    if (!stream) this.#bomSeen = false;
    if (this.#fatal && out.includes('\ufffd') && hasInvalid(bytes, rest)) {
      throw new TypeError("Failed to execute 'decode' on 'TextDecoder': The encoded data was not valid for encoding utf-8");
    }
    return out;
  }

  get [Symbol.toStringTag](): string { return 'TextDecoder'; }
}

// A U+FFFD in the output may be a real U+FFFD in the input (EF BF BD); fatal mode only
// throws when the bytes themselves were invalid.
function hasInvalid(bytes: Uint8Array, rest: number): boolean {
  const { text } = utf8DecodeChunk(bytes.subarray(0, bytes.length - rest), false);
  let real = 0;
  for (let i = 0; i + 2 < bytes.length; i++) if (bytes[i] === 0xef && bytes[i + 1] === 0xbf && bytes[i + 2] === 0xbd) real++;
  let seen = 0;
  for (const ch of text) if (ch === '\ufffd') seen++;
  return seen > real;
}
