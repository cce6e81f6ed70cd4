// Percent-encoding for URL and URLSearchParams: https://url.spec.whatwg.org/#percent-encoded-bytes
// A set is a table over ASCII; every non-ASCII code point is in every set.

import { utf8Decode, utf8Encode } from './utf8.ts';

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
    const c = input.charCodeAt(i);
    if (c < 0x80 && set[c] === 0 && !(spaceAsPlus && c === 0x20)) continue;
    out += input.slice(start, i);
    if (spaceAsPlus && c === 0x20) out += '+';
    else if (c < 0x80) out += '%' + HEX[c >> 4] + HEX[c & 15];
    else {
      const d = c >= 0xd800 && c <= 0xdbff && i + 1 < n ? input.charCodeAt(i + 1) : 0;
      const pair = d >= 0xdc00 && d <= 0xdfff;
      const bytes = utf8Encode(pair ? input.slice(i, i + 2) : input[i]);
      if (pair) i++;
      for (let b = 0; b < bytes.length; b++) out += '%' + HEX[bytes[b] >> 4] + HEX[bytes[b] & 15];
    }
    start = i + 1;
  }
  return start === 0 ? input : out + input.slice(start);
}

const hexValue = (c: number): number =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x41 && c <= 0x46 ? c - 0x37 : c >= 0x61 && c <= 0x66 ? c - 0x57 : -1;

/** https://url.spec.whatwg.org/#percent-decode over the UTF-8 bytes of `input`. */
export function percentDecodeBytes(input: string): Uint8Array {
  const bytes = utf8Encode(input);
  const out = new Uint8Array(bytes.length);
  let o = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x25 && i + 2 < bytes.length) {
      const hi = hexValue(bytes[i + 1]), lo = hexValue(bytes[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out[o++] = (hi << 4) | lo;
        i += 2;
        continue;
      }
    }
    out[o++] = b;
  }
  return out.subarray(0, o);
}

/** Percent-decodes, then UTF-8 decodes without BOM handling (invalid bytes become U+FFFD). */
export function percentDecodeString(input: string): string {
  return input.indexOf('%') < 0 ? input : utf8Decode(percentDecodeBytes(input));
}
