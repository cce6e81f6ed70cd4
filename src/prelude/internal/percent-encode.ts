// Percent-encoding for URL and URLSearchParams: https://url.spec.whatwg.org/#percent-encoded-bytes
// A set is a table over ASCII; every non-ASCII code point is in every set.

import { StringPrototypeCharCodeAt, StringPrototypeIndexOf, StringPrototypeSlice } from './primordials.ts';
import { utf8Decode } from './utf8.ts';

const HEX = '0123456789ABCDEF';

function makeSet(base: Uint8Array | null, chars: string): Uint8Array {
  const set = base ? new Uint8Array(base) : new Uint8Array(128);
  if (!base) {
    for (let c = 0; c < 0x20; c++) set[c] = 1;
    set[0x7f] = 1;
  }
  for (let i = 0; i < chars.length; i++) set[chars.charCodeAt(i)] = 1;
  return set;
}

export const C0_CONTROL_SET = makeSet(null, '');
export const FRAGMENT_SET = makeSet(C0_CONTROL_SET, ' "<>`');
export const QUERY_SET = makeSet(C0_CONTROL_SET, ' "#<>');
export const SPECIAL_QUERY_SET = makeSet(QUERY_SET, "'");
export const PATH_SET = makeSet(QUERY_SET, '?^`{}');
export const USERINFO_SET = makeSet(PATH_SET, '/:;=@[\\]|');
export const COMPONENT_SET = makeSet(USERINFO_SET, '$%&+,');
export const FORM_SET = makeSet(COMPONENT_SET, "!'()~");

/**
 * UTF-8 percent-encodes `input` with `set`
 * (https://url.spec.whatwg.org/#string-percent-encode-after-encoding); lone surrogates
 * become U+FFFD. `spaceAsPlus` is the form-urlencoded serializer's variant.
 */
export function percentEncode(input: string, set: Uint8Array, spaceAsPlus = false): string {
  let out = '';
  let start = 0;
  const n = input.length;
  for (let i = 0; i < n; i++) {
    const c = StringPrototypeCharCodeAt(input, i);
    if (c < 0x80 && set[c] === 0 && !(spaceAsPlus && c === 0x20)) continue;
    out += StringPrototypeSlice(input, start, i);
    if (spaceAsPlus && c === 0x20) out += '+';
    else if (c < 0x80) out += percentEncodeAt(c);
    else {
      const cp = codePointAt(input, i, c);
      if (cp > 0xffff) i++;
      forEachUtf8Byte(cp, (b) => { out += percentEncodeAt(b); });
    }
    start = i + 1;
  }
  return start === 0 ? input : out + StringPrototypeSlice(input, start);
}

/** One ASCII byte, percent-encoded. */
function percentEncodeAt(c: number): string {
  return '%' + HEX[c >> 4] + HEX[c & 15];
}

const hexValue = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;

/** The code point at `i`, whose first unit is `c`; a lone surrogate reads as U+FFFD. */
function codePointAt(input: string, i: number, c: number): number {
  if (c < 0xd800 || c > 0xdfff) return c;
  const d = c <= 0xdbff && i + 1 < input.length ? StringPrototypeCharCodeAt(input, i + 1) : 0;
  return d >= 0xdc00 && d <= 0xdfff ? 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00) : 0xfffd;
}

function forEachUtf8Byte(cp: number, fn: (b: number) => void): void {
  if (cp < 0x80) fn(cp);
  else if (cp < 0x800) { fn(0xc0 | (cp >> 6)); fn(0x80 | (cp & 63)); }
  else if (cp < 0x10000) { fn(0xe0 | (cp >> 12)); fn(0x80 | ((cp >> 6) & 63)); fn(0x80 | (cp & 63)); }
  else { fn(0xf0 | (cp >> 18)); fn(0x80 | ((cp >> 12) & 63)); fn(0x80 | ((cp >> 6) & 63)); fn(0x80 | (cp & 63)); }
}

/**
 * https://url.spec.whatwg.org/#percent-decode over the UTF-8 bytes of `input`, which
 * are produced as it goes (lone surrogates as U+FFFD's bytes).
 */
export function percentDecodeBytes(input: string): Uint8Array {
  const out = new Uint8Array(input.length * 3);
  let o = 0;
  const put = (b: number) => { out[o++] = b; };
  for (let i = 0; i < input.length; i++) {
    const c = StringPrototypeCharCodeAt(input, i);
    if (c === 0x25 && i + 2 < input.length) {
      const hi = hexValue(StringPrototypeCharCodeAt(input, i + 1)), lo = hexValue(StringPrototypeCharCodeAt(input, i + 2));
      if (hi >= 0 && lo >= 0) {
        out[o++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    if (c < 0x80) {
      out[o++] = c;
      continue;
    }
    const cp = codePointAt(input, i, c);
    if (cp > 0xffff) i++;
    forEachUtf8Byte(cp, put);
  }
  return new Uint8Array(out.buffer, 0, o);
}

/** Percent-decodes, then UTF-8 decodes without BOM handling (invalid bytes become U+FFFD). */
export function percentDecodeString(input: string): string {
  return StringPrototypeIndexOf(input, '%') < 0 ? input : utf8Decode(percentDecodeBytes(input));
}
