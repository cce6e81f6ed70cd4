// multipart/form-data, both ways (RFC 7578).
// - encode: https://html.spec.whatwg.org/multipage/form-control-infrastructure.html#multipart/form-data-encoding-algorithm
// - parse: https://andreubotella.github.io/multipart-form-data/#multipart-form-data-parser
//   (the parser the Fetch spec's `formData()` refers to).

import { ArrayPrototypePush, TypeErrorCtor, Uint8ArrayCtor } from './primordials.ts';
import { utf8Decode, utf8Encode } from './utf8.ts';

// Captured at load, before tenant code can patch it: the search for boundaries is a hot loop.
const u8IndexOf = Function.prototype.call.bind(Uint8Array.prototype.indexOf) as unknown as (a: Uint8Array, b: number, from: number) => number;

export type MultipartValue = string | { bytes: Uint8Array; filename: string; type: string };
export type MultipartEntry = [name: string, value: MultipartValue];

const CRLF = /\r(?!\n)|(?<!\r)\n/g;

// Names are escaped as the HTML spec says: LF, CR and '"' percent-encoded.
function escapeName(name: string): string {
  return name.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
}

function concat(chunks: Uint8Array[]): Uint8Array {
  let total = 0;
  for (let i = 0; i < chunks.length; i++) total += chunks[i].byteLength;
  const out = new Uint8ArrayCtor(total);
  let o = 0;
  for (let i = 0; i < chunks.length; i++) { out.set(chunks[i], o); o += chunks[i].byteLength; }
  return out;
}

export function encodeMultipart(entries: MultipartEntry[], boundary: string): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < entries.length; i++) {
    const [rawName, value] = entries[i];
    const name = escapeName(rawName.replace(CRLF, '\r\n'));
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${name}"`;
    if (typeof value === 'string') {
      ArrayPrototypePush(chunks, utf8Encode(`${head}\r\n\r\n${value.replace(CRLF, '\r\n')}\r\n`));
      continue;
    }
    head += `; filename="${escapeName(value.filename)}"\r\nContent-Type: ${value.type || 'application/octet-stream'}\r\n\r\n`;
    ArrayPrototypePush(chunks, utf8Encode(head));
    ArrayPrototypePush(chunks, value.bytes);
    ArrayPrototypePush(chunks, utf8Encode('\r\n'));
  }
  ArrayPrototypePush(chunks, utf8Encode(`--${boundary}--\r\n`));
  return concat(chunks);
}

function fail(reason: string): never {
  throw new TypeErrorCtor(`Failed to parse body as FormData: ${reason}.`);
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0];
  for (let i = u8IndexOf(haystack, first, from); i !== -1 && i + needle.length <= haystack.length; i = u8IndexOf(haystack, first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

// Parameters of a header like `form-data; name="a"; filename="b.txt"`.
function headerParams(value: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (let m = re.exec(value); m !== null; m = re.exec(value)) {
    const key = m[1].toLowerCase();
    if (!out.has(key)) out.set(key, m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3].trim());
  }
  return out;
}

/** The boundary parameter of a multipart/form-data Content-Type, or null. */
export function multipartBoundary(contentType: string): string | null {
  const b = headerParams(contentType).get('boundary');
  return b === undefined || b === '' || b.length > 70 ? null : b;
}

export function parseMultipart(body: Uint8Array, boundary: string): MultipartEntry[] {
  const delimiter = utf8Encode(`--${boundary}`);
  const entries: MultipartEntry[] = [];
  // The first delimiter may follow a preamble; later ones always follow a CRLF.
  let pos = indexOf(body, delimiter, 0);
  if (pos === -1) fail('the multipart boundary was not found');
  const next = utf8Encode(`\r\n--${boundary}`);
  for (;;) {
    pos += delimiter.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return entries; // "--": the close delimiter
    // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++;
    if (body[pos] !== 0x0d || body[pos + 1] !== 0x0a) fail('a boundary is not followed by CRLF');
    pos += 2;
    const headEnd = indexOf(body, utf8Encode('\r\n\r\n'), pos);
    // A part with no header fields at all has its blank line right away.
    const blank = body[pos] === 0x0d && body[pos + 1] === 0x0a;
    if (!blank && headEnd === -1) fail('a part has no end of headers');
    const headText = blank ? '' : utf8Decode(body.subarray(pos, headEnd));
    pos = blank ? pos + 2 : headEnd + 4;
    let name: string | null = null;
    let filename: string | null = null;
    let type: string | null = null;
    for (const line of headText.split('\r\n')) {
      if (line === '') continue;
      const colon = line.indexOf(':');
      if (colon <= 0) fail('a part has a malformed header');
      const field = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (field === 'content-disposition') {
        if (!/^form-data\s*(;|$)/i.test(value)) fail('a part\'s Content-Disposition is not form-data');
        const params = headerParams(value);
        name = params.get('name') ?? null;
        filename = params.get('filename') ?? null;
      } else if (field === 'content-type') {
        type = value;
      }
    }
    if (name === null) fail('a part has no name in its Content-Disposition');
    const end = indexOf(body, next, pos);
    if (end === -1) fail('the body ends before the closing boundary');
    // A view, not a copy: the body buffer belongs to the finished read alone, and Blob
    // readers always copy out of it.
    const content = body.subarray(pos, end);
    if (filename !== null) ArrayPrototypePush(entries, [name, { bytes: content, filename, type: type ?? 'text/plain' }]);
    else ArrayPrototypePush(entries, [name, utf8Decode(content)]);
    pos = end + 2;
  }
}

const HEX = '0123456789abcdef';

/** A boundary no body will contain by chance: 24 random hex digits. */
export function makeBoundary(random: Uint8Array): string {
  let hex = '';
  for (let i = 0; i < random.length; i++) hex += HEX[random[i] >> 4] + HEX[random[i] & 15];
  return `----atoll-formdata-${hex}`;
}
