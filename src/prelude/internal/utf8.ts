// UTF-8 encode/decode used across the prelude (bodies, TextEncoder, btoa helpers).
// Lone surrogates become U+FFFD when encoding; invalid sequences become U+FFFD when
// decoding, as the Encoding Standard's UTF-8 decoder does (https://encoding.spec.whatwg.org/#utf-8-decoder).

import { StringCtor, Uint8ArrayCtor } from './primordials.ts';

const fromCharCode = StringCtor.fromCharCode;

export function utf8Encode(input: string): Uint8Array {
  const out = new Uint8ArrayCtor(input.length * 3);
  let o = 0;
  for (let i = 0; i < input.length; i++) {
    let c = input.charCodeAt(i);
    if (c < 0x80) { out[o++] = c; continue; }
    if (c < 0x800) { out[o++] = 0xc0 | (c >> 6); out[o++] = 0x80 | (c & 63); continue; }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < input.length ? input.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        i++;
        out[o++] = 0xf0 | (c >> 18); out[o++] = 0x80 | ((c >> 12) & 63);
        out[o++] = 0x80 | ((c >> 6) & 63); out[o++] = 0x80 | (c & 63);
        continue;
      }
      c = 0xfffd;
    }
    out[o++] = 0xe0 | (c >> 12); out[o++] = 0x80 | ((c >> 6) & 63); out[o++] = 0x80 | (c & 63);
  }
  return out.subarray(0, o);
}

/**
 * Streaming-capable UTF-8 decoder. Returns the decoded text and how many trailing bytes
 * form an incomplete sequence (kept by the caller for the next chunk when `stream`).
 */
export function utf8DecodeChunk(bytes: Uint8Array, stream: boolean): { text: string; rest: number } {
  let text = '';
  let parts = '';
  const n = bytes.length;
  let i = 0;
  const FFFD = '\ufffd';
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      // ASCII run: the common case, decoded in batches.
      let j = i;
      while (j < n && bytes[j] < 0x80 && j - i < 4096) j++;
      parts += fromCharCode.apply(null, bytes.subarray(i, j) as unknown as number[]);
      i = j;
      if (parts.length > 16384) { text += parts; parts = ''; }
      continue;
    }
    let need = 0, cp = 0, lower = 0x80, upper = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0xf; if (b === 0xe0) lower = 0xa0; if (b === 0xed) upper = 0x9f; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; cp = b & 0x7; if (b === 0xf0) lower = 0x90; if (b === 0xf4) upper = 0x8f; }
    else { parts += FFFD; i++; continue; }
    let j = i + 1;
    let ok = true;
    for (let k = 0; k < need; k++, j++) {
      if (j >= n) {
        if (stream) return { text: text + parts, rest: n - i };
        ok = false; break;
      }
      const c = bytes[j];
      if (c < lower || c > upper) { ok = false; break; }
      lower = 0x80; upper = 0xbf;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (!ok) { parts += FFFD; i = j; continue; } // the offending byte is processed again
    parts += cp > 0xffff ? fromCharCode(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff)) : fromCharCode(cp);
    i = j;
  }
  return { text: text + parts, rest: 0 };
}

export function utf8Decode(bytes: Uint8Array): string {
  return utf8DecodeChunk(bytes, false).text;
}
