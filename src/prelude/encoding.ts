// TextEncoder / TextDecoder: https://encoding.spec.whatwg.org/#interface-textencoder
// The decoders bundled are UTF-8, UTF-16LE/BE and windows-1252 (which the labels
// "latin1", "ascii" and "iso-8859-1" also name); the other legacy encodings need index
// tables of hundreds of KB in every isolate, so their labels throw a clear RangeError.

import { unitsToString, utf8DecodeChunk, utf8Encode, utf8Write } from './internal/utf8.ts';
import { StringCtor, TypeErrorCtor, RangeErrorCtor, Uint8ArrayCtor } from './internal/primordials.ts';

const Uint16ArrayCtor = Uint16Array;
const ArrayBufferCtor = ArrayBuffer;
const isView = ArrayBuffer.isView;

export class TextEncoder {
  get encoding(): string { return 'utf-8'; }

  // https://encoding.spec.whatwg.org/#dom-textencoder-encode
  encode(input = ''): Uint8Array {
    return utf8Encode(StringCtor(input));
  }

  // https://encoding.spec.whatwg.org/#dom-textencoder-encodeinto
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number } {
    if (!(destination instanceof Uint8ArrayCtor)) {
      throw new TypeErrorCtor("Failed to execute 'encodeInto' on 'TextEncoder': parameter 2 is not of type 'Uint8Array'.");
    }
    return utf8Write(StringCtor(source), destination);
  }

  get [Symbol.toStringTag](): string { return 'TextEncoder'; }
}

/** Bytes of a BufferSource, as a view on the same memory (no copy). */
export function bufferSourceBytes(input: unknown, what: string): Uint8Array {
  if (input instanceof ArrayBufferCtor) return new Uint8ArrayCtor(input);
  if (isView(input)) return new Uint8ArrayCtor(input.buffer, input.byteOffset, input.byteLength);
  if (typeof SharedArrayBuffer !== 'undefined' && input instanceof SharedArrayBuffer) return new Uint8ArrayCtor(input);
  throw new TypeErrorCtor(`${what}: The provided value is not of type '(ArrayBuffer or ArrayBufferView)'.`);
}

// https://encoding.spec.whatwg.org/#names-and-labels (the encodings bundled here).
const LABELS: Record<string, string> = {};
function labels(name: string, list: string): void {
  for (const l of list.split(' ')) LABELS[l] = name;
}
labels('utf-8', 'unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8');
labels('utf-16be', 'unicodefffe utf-16be');
labels('utf-16le', 'csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le');
labels('windows-1252', 'ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252');
// Legacy encodings the standard defines but atoll does not bundle (by canonical name).
const NOT_BUNDLED = new Set(('ibm866 iso-8859-2 iso-8859-3 iso-8859-4 iso-8859-5 iso-8859-6 iso-8859-7 iso-8859-8 iso-8859-8-i ' +
  'iso-8859-10 iso-8859-13 iso-8859-14 iso-8859-15 iso-8859-16 koi8-r koi8-u macintosh windows-874 windows-1250 windows-1251 ' +
  'windows-1253 windows-1254 windows-1255 windows-1256 windows-1257 windows-1258 x-mac-cyrillic gbk gb18030 big5 euc-jp ' +
  'iso-2022-jp shift_jis euc-kr x-user-defined').split(' '));

// windows-1252 bytes 0x80..0x9F; every other byte is its own code point.
const CP1252 = '\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\x8d\u017d\x8f' +
  '\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\x9d\u017e\u0178';

type Decode = (bytes: Uint8Array, stream: boolean, fatal: boolean) => { text: string; rest: number } | null;

// https://encoding.spec.whatwg.org/#shared-utf-16-decoder
function utf16Decoder(bigEndian: boolean): Decode {
  return (bytes, stream, fatal) => {
    const n = bytes.length - (bytes.length & 1);
    const units = new Uint16ArrayCtor(n >> 1);
    let u = 0;
    for (let i = 0; i < n; i += 2) {
      const c = bigEndian ? (bytes[i] << 8) | bytes[i + 1] : bytes[i] | (bytes[i + 1] << 8);
      if (c >= 0xd800 && c <= 0xdbff) {
        if (i + 2 >= n) {
          if (stream) return { text: unitsToString(units, u), rest: bytes.length - i };
          // A lead surrogate and an odd byte at the end are one error, not two.
          if (fatal) return null;
          return { text: unitsToString(units, u) + '\ufffd', rest: 0 };
        }
        const d = bigEndian ? (bytes[i + 2] << 8) | bytes[i + 3] : bytes[i + 2] | (bytes[i + 3] << 8);
        if (d >= 0xdc00 && d <= 0xdfff) { units[u++] = c; units[u++] = d; i += 2; continue; }
        if (fatal) return null;
        units[u++] = 0xfffd; // the unit that followed is decoded on its own
        continue;
      }
      if (c >= 0xdc00 && c <= 0xdfff) {
        if (fatal) return null;
        units[u++] = 0xfffd;
        continue;
      }
      units[u++] = c;
    }
    const odd = bytes.length - n;
    if (odd && !stream) {
      if (fatal) return null;
      return { text: unitsToString(units, u) + '\ufffd', rest: 0 };
    }
    return { text: unitsToString(units, u), rest: odd };
  };
}

const DECODERS: Record<string, Decode> = {
  'utf-8': utf8DecodeChunk,
  'utf-16le': utf16Decoder(false),
  'utf-16be': utf16Decoder(true),
  'windows-1252': (bytes) => {
    const units = new Uint16ArrayCtor(bytes.length);
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      units[i] = b >= 0x80 && b < 0xa0 ? CP1252.charCodeAt(b - 0x80) : b;
    }
    return { text: unitsToString(units, bytes.length), rest: 0 };
  },
};

/** The encoding a label names, or a RangeError worded like the platform's. */
export function encodingForLabel(label: unknown, what: string): string {
  // https://encoding.spec.whatwg.org/#concept-encoding-get: trim ASCII whitespace, lower-case.
  const l = StringCtor(label).replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '').toLowerCase();
  const name = LABELS[l];
  if (name) return name;
  if (NOT_BUNDLED.has(l) || l === 'shift-jis' || l === 'sjis') {
    throw new RangeErrorCtor(`${what}: The encoding '${l}' is not supported: atoll bundles only utf-8, utf-16le, utf-16be and windows-1252 decoders.`);
  }
  throw new RangeErrorCtor(`${what}: The encoding label provided ('${StringCtor(label)}') is invalid.`);
}

// https://encoding.spec.whatwg.org/#interface-textdecoder
export class TextDecoder {
  readonly #encoding: string;
  readonly #decode: Decode;
  readonly #fatal: boolean;
  readonly #ignoreBOM: boolean;
  #pending: Uint8Array | null = null;
  #bomSeen = false;

  constructor(label: string = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    if (options !== undefined && options !== null && typeof options !== 'object' && typeof options !== 'function') {
      throw new TypeErrorCtor("Failed to construct 'TextDecoder': The provided value is not of type 'TextDecoderOptions'.");
    }
    this.#encoding = encodingForLabel(label, "Failed to construct 'TextDecoder'");
    this.#decode = DECODERS[this.#encoding];
    this.#fatal = !!options?.fatal;
    this.#ignoreBOM = !!options?.ignoreBOM;
  }

  get encoding(): string { return this.#encoding; }
  get fatal(): boolean { return this.#fatal; }
  get ignoreBOM(): boolean { return this.#ignoreBOM; }

  // https://encoding.spec.whatwg.org/#dom-textdecoder-decode
  decode(input?: ArrayBuffer | ArrayBufferView, options: { stream?: boolean } = {}): string {
    let bytes = input === undefined || input === null ? new Uint8ArrayCtor(0) : bufferSourceBytes(input, "Failed to execute 'decode' on 'TextDecoder'");
    const stream = !!options?.stream;
    if (this.#pending) {
      const joined = new Uint8ArrayCtor(this.#pending.length + bytes.length);
      joined.set(this.#pending);
      joined.set(bytes, this.#pending.length);
      bytes = joined;
      this.#pending = null;
    }
    const result = this.#decode(bytes, stream, this.#fatal);
    if (result === null) {
      this.#bomSeen = false;
      this.#pending = null;
      throw new TypeErrorCtor(`Failed to execute 'decode' on 'TextDecoder': The encoded data was not valid for encoding ${this.#encoding}`);
    }
    // The bytes of a cut sequence are copied: the caller may reuse its buffer.
    if (result.rest > 0) this.#pending = bytes.slice(bytes.length - result.rest);
    let out = result.text;
    // https://encoding.spec.whatwg.org/#concept-td-serialize: a leading BOM is dropped once per stream.
    if (!this.#bomSeen && out.length > 0) {
      if (!this.#ignoreBOM && out.charCodeAt(0) === 0xfeff && this.#encoding !== 'windows-1252') out = out.slice(1);
      this.#bomSeen = true;
    }
    if (!stream) this.#bomSeen = false;
    return out;
  }

  get [Symbol.toStringTag](): string { return 'TextDecoder'; }
}
