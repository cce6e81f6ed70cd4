// UTF-8 encode/decode used across the prelude (bodies, TextEncoder/TextDecoder, streams).
// Lone surrogates become U+FFFD when encoding; invalid sequences become U+FFFD when
// decoding, as the Encoding Standard's UTF-8 decoder does
// (https://encoding.spec.whatwg.org/#utf-8-decoder), or make the decode fail when fatal.

import { ReflectApply, StringCtor, Uint8ArrayCtor } from './primordials.ts';

const fromCharCode = StringCtor.fromCharCode;
const Uint16ArrayCtor = Uint16Array;
// Code units are turned into a string in batches: big enough to amortise the call,
// small enough to stay under V8's argument limit for fromCharCode.apply.
const BATCH = 8192;

/** Bytes UTF-8 needs for `input` (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8Length(input: string): number {
  const n = input.length;
  let len = n;
  for (let i = 0; i < n; i++) {
    const c = input.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) { len += 1; continue; }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      const d = input.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { len += 2; i++; continue; } // 4 bytes for 2 units
    }
    len += 2;
  }
  return len;
}

/**
 * Encodes `input` into `out` from byte `at`, stopping before a code
 * point that would not fit: https://encoding.spec.whatwg.org/#dom-textencoder-encodeinto
 */
export function utf8Write(input: string, out: Uint8Array, at = 0): { read: number; written: number } {
  const n = input.length;
  const end = out.length;
  let o = at;
  let i = 0;
  for (; i < n; i++) {
    let c = input.charCodeAt(i);
    if (c < 0x80) {
      if (o >= end) break;
      out[o++] = c;
      continue;
    }
    if (c < 0x800) {
      if (o + 2 > end) break;
      out[o++] = 0xc0 | (c >> 6); out[o++] = 0x80 | (c & 63);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < n ? input.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        if (o + 4 > end) break;
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        out[o++] = 0xf0 | (c >> 18); out[o++] = 0x80 | ((c >> 12) & 63);
        out[o++] = 0x80 | ((c >> 6) & 63); out[o++] = 0x80 | (c & 63);
        i++;
        continue;
      }
      c = 0xfffd;
    }
    if (o + 3 > end) break;
    out[o++] = 0xe0 | (c >> 12); out[o++] = 0x80 | ((c >> 6) & 63); out[o++] = 0x80 | (c & 63);
  }
  return { read: i, written: o - at };
}

export function utf8Encode(input: string): Uint8Array {
  const out = new Uint8ArrayCtor(utf8Length(input));
  utf8Write(input, out);
  return out;
}

/** Turns code units collected in `units[0..count)` into a string. */
export function unitsToString(units: Uint16Array, count: number): string {
  let s = '';
  for (let k = 0; k < count; k += BATCH) {
    s += ReflectApply(fromCharCode, null, units.subarray(k, k + BATCH < count ? k + BATCH : count) as unknown as number[]);
  }
  return s;
}

/**
 * Decodes one chunk. With `stream`, a sequence cut at the end of `bytes` is not an
 * error: `rest` says how many trailing bytes the caller keeps for the next chunk.
 * With `fatal`, returns null at the first invalid sequence.
 */
export function utf8DecodeChunk(bytes: Uint8Array, stream: boolean, fatal = false): { text: string; rest: number } | null {
  const n = bytes.length;
  // Each byte yields at most one UTF-16 unit (a 4-byte sequence yields two).
  const cap = n < BATCH * 4 ? n : BATCH * 4;
  const units = new Uint16ArrayCtor(cap + 2);
  let text = '';
  let u = 0;
  let i = 0;
  while (i < n) {
    if (u >= cap) { text += unitsToString(units, u); u = 0; }
    const b = bytes[i];
    if (b < 0x80) { units[u++] = b; i++; continue; }
    let need = 0, cp = 0, lower = 0x80, upper = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0xf; if (b === 0xe0) lower = 0xa0; if (b === 0xed) upper = 0x9f; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; cp = b & 0x7; if (b === 0xf0) lower = 0x90; if (b === 0xf4) upper = 0x8f; }
    else {
      if (fatal) return null;
      units[u++] = 0xfffd; i++;
      continue;
    }
    let j = i + 1;
    let ok = true;
    for (let k = 0; k < need; k++, j++) {
      if (j >= n) {
        if (stream) return { text: text + unitsToString(units, u), rest: n - i };
        ok = false;
        break;
      }
      const c = bytes[j];
      if (c < lower || c > upper) { ok = false; break; }
      lower = 0x80; upper = 0xbf;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (!ok) {
      // Step 4 of the decoder: the byte that broke the sequence is processed again.
      if (fatal) return null;
      units[u++] = 0xfffd; i = j;
      continue;
    }
    if (cp > 0xffff) {
      units[u++] = 0xd800 + ((cp - 0x10000) >> 10);
      units[u++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
    } else {
      units[u++] = cp;
    }
    i = j;
  }
  return { text: text + unitsToString(units, u), rest: 0 };
}

export function utf8Decode(bytes: Uint8Array): string {
  return utf8DecodeChunk(bytes, false)!.text;
}
