// Cached origin responses for clients that accept br or gzip. The cache holds identity
// bodies (the origin fetch decodes, as a worker's fetch does); for a compressible
// answer of 1 KiB or more (the rules of src/runtime/client-compression.ts) each stored
// entry's body is compressed once per coding, on the first request that wants it, and
// kept beside the entry while the entry lives (a WeakMap on it: it goes when the entry
// is evicted or purged). HITs then send the compressed bytes without compressing again.
// Those bytes are not counted in the store's byte limits; they are smaller than the
// bodies they come from, and at most two per entry.

import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import type { HeaderList } from '../shared/ops.ts';
import type { CachedResponse } from '../cache/http-cache.ts';
import { compressedHead, mayCompress, negotiate, type ClientEncoding } from '../runtime/client-compression.ts';

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);
const encoded = new WeakMap<object, Map<ClientEncoding, Promise<Uint8Array>>>();
// The same bytes once compressed, so a HIT needs no turn of the event loop.
const done = new WeakMap<object, Map<ClientEncoding, Uint8Array>>();
// Whether an entry's full (200) answer may be compressed: the same for every request it answers.
const compressible = new WeakMap<object, boolean>();

function encode(bytes: Uint8Array, coding: ClientEncoding): Promise<Uint8Array> {
  if (coding === 'gzip') return gzipped(bytes);
  // Compressed once and served many times: a higher quality than for streamed bodies pays off.
  return brotli(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 6, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength } });
}

/**
 * The answer as this client should get it: compressed when it accepts an encoding and
 * the body is worth it. At once when nothing is to be compressed or it was already.
 */
export function encodeForClient(answer: CachedResponse, acceptEncoding: string | undefined): CachedResponse | Promise<CachedResponse> {
  const bytes = answer.bytes;
  const entry = answer.entry;
  if (!bytes || !entry || answer.head.status !== 200) return answer;
  const head = { ...answer.head, body: null };
  let may = compressible.get(entry);
  if (may === undefined) compressible.set(entry, (may = mayCompress(head, bytes.byteLength)));
  if (!may) return answer;
  const coding = negotiate(acceptEncoding);
  if (coding === null) return { ...answer, head: { ...answer.head, headers: compressedHead(head, null).headers } };
  const withBody = (body: Uint8Array): CachedResponse => {
    const headers: HeaderList = [...compressedHead(head, coding).headers, ['content-length', String(body.byteLength)]];
    return { ...answer, head: { ...answer.head, headers }, bytes: body, body: null };
  };
  const ready = done.get(entry)?.get(coding);
  if (ready) return withBody(ready);
  let forms = encoded.get(entry);
  if (!forms) encoded.set(entry, (forms = new Map()));
  let pending = forms.get(coding);
  if (!pending) {
    pending = encode(bytes, coding);
    forms.set(coding, pending);
    pending.then((body) => {
      let finished = done.get(entry);
      if (!finished) done.set(entry, (finished = new Map()));
      finished.set(coding, body);
    }, () => forms.delete(coding)); // a failure is not remembered: the next request tries again
  }
  return pending.then(withBody);
}
