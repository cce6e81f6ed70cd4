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
/**
 * What is kept beside an entry: whether its full (200) answer may be compressed (the same
 * for every request it answers), and each coding's bytes, a promise while compressing.
 */
interface Derived {
  compressible: boolean;
  forms: Map<ClientEncoding, Uint8Array | Promise<Uint8Array>>;
}
const derived = new WeakMap<object, Derived>();

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
  let d = derived.get(entry);
  if (!d) derived.set(entry, (d = { compressible: mayCompress(head, bytes.byteLength), forms: new Map() }));
  if (!d.compressible) return answer;
  const coding = negotiate(acceptEncoding);
  if (coding === null) return { ...answer, head: { ...answer.head, headers: compressedHead(head, null).headers } };
  const withBody = (body: Uint8Array): CachedResponse => {
    const headers: HeaderList = [...compressedHead(head, coding).headers, ['content-length', String(body.byteLength)]];
    return { ...answer, head: { ...answer.head, headers }, bytes: body, body: null };
  };
  const { forms } = d;
  const form = forms.get(coding);
  // Compressed already: at once, without a turn of the event loop.
  if (form instanceof Uint8Array) return withBody(form);
  if (form) return form.then(withBody);
  const pending = encode(bytes, coding);
  forms.set(coding, pending);
  // A failure is not remembered: the next request tries again.
  pending.then((body) => forms.set(coding, body), () => forms.delete(coding));
  return pending.then(withBody);
}
