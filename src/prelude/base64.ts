// atob / btoa: https://html.spec.whatwg.org/multipage/webappapis.html#atob
// Decoding is the forgiving-base64 decode of https://infra.spec.whatwg.org/#forgiving-base64-decode;
// the messages are the ones Workers gives.

import { DOMException } from './dom-exception.ts';
import { ReflectApply, TypeErrorCtor, Uint8ArrayCtor } from './internal/primordials.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const StringFromCharCode = String.fromCharCode;
const StringPrototypeCharCodeAt = Function.prototype.call.bind(String.prototype.charCodeAt) as (s: string, i: number) => number;
// Code unit -> 6-bit value; -1 for anything outside the alphabet.
const DECODE = new Int16Array(256).fill(-1);
const ENCODE = new Uint8Array(64);
for (let i = 0; i < 64; i++) {
  DECODE[ALPHABET.charCodeAt(i)] = i;
  ENCODE[i] = ALPHABET.charCodeAt(i);
}
// Output is built from typed arrays in chunks: no argument list is ever huge, and nothing
// goes through Array.prototype, which tenant code may have changed.
const CHUNK = 8192;

// WebIDL DOMString conversion: unlike String(), it throws a TypeError for a Symbol.
const domString = (v: unknown): string => `${v as string}`;

function isAsciiWhitespace(c: number): boolean {
  return c === 0x09 || c === 0x0a || c === 0x0c || c === 0x0d || c === 0x20;
}

function fromBytes(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += CHUNK) out += ReflectApply(StringFromCharCode, undefined, bytes.subarray(i, i + CHUNK));
  return out;
}

export function btoa(data: unknown): string {
  if (arguments.length < 1) throw new TypeErrorCtor("Failed to execute 'btoa': 1 argument required, but only 0 present.");
  const s = domString(data);
  const n = s.length;
  const out = new Uint8ArrayCtor(4 * Math.ceil(n / 3));
  let o = 0;
  for (let i = 0; i < n; i += 3) {
    const a = StringPrototypeCharCodeAt(s, i);
    const b = i + 1 < n ? StringPrototypeCharCodeAt(s, i + 1) : 0;
    const c = i + 2 < n ? StringPrototypeCharCodeAt(s, i + 2) : 0;
    if ((a | b | c) > 0xff) {
      throw new DOMException('btoa() can only operate on characters in the Latin1 (ISO/IEC 8859-1) range.', 'InvalidCharacterError');
    }
    const bits = (a << 16) | (b << 8) | c;
    out[o++] = ENCODE[bits >> 18];
    out[o++] = ENCODE[(bits >> 12) & 63];
    out[o++] = i + 1 < n ? ENCODE[(bits >> 6) & 63] : 0x3d;
    out[o++] = i + 2 < n ? ENCODE[bits & 63] : 0x3d;
  }
  return fromBytes(out);
}

export function atob(data: unknown): string {
  if (arguments.length < 1) throw new TypeErrorCtor("Failed to execute 'atob': 1 argument required, but only 0 present.");
  const s = domString(data);
  // Step 1: drop ASCII whitespace.
  const values = new Uint16Array(s.length);
  let length = 0;
  for (let i = 0; i < s.length; i++) {
    const c = StringPrototypeCharCodeAt(s, i);
    if (!isAsciiWhitespace(c)) values[length++] = c;
  }
  // Step 2: with a length divisible by 4, one or two trailing '=' are padding.
  if (length % 4 === 0 && length > 0 && values[length - 1] === 0x3d) {
    length--;
    if (values[length - 1] === 0x3d) length--;
  }
  // Step 3.
  if (length % 4 === 1) throw invalid();
  // Steps 4-8: every remaining code point is in the alphabet; take 6 bits at a time.
  const out = new Uint8ArrayCtor((length * 3) >> 2);
  let n = 0;
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < length; i++) {
    const c = values[i];
    const v = c < 256 ? DECODE[c] : -1;
    if (v < 0) throw invalid();
    buffer = ((buffer << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (buffer >> bits) & 0xff;
    }
  }
  // Leftover bits (fewer than 8) are discarded, as the spec says.
  return fromBytes(out.subarray(0, n));
}

function invalid(): DOMException {
  return new DOMException(
    "atob() called with invalid base64-encoded data. (Only whitespace, '+', '/', alphanumeric ASCII, and up to two terminal '=' signs when the input data length is divisible by 4 are allowed.)",
    'InvalidCharacterError',
  );
}
