// Compression of worker responses for clients that accept it (Accept-Encoding: br,
// gzip), as Cloudflare's edge does. Only bodies worth it: a compressible media type, not
// already encoded (no Content-Encoding, encodeBody not "manual"), not a range, not
// marked no-transform, not tiny. The encoder is flushed after every chunk, so a streamed
// body reaches the client as the worker writes it, not when the encoder's window fills.

import { constants, createBrotliCompress, createGzip, type BrotliCompress, type Gzip } from 'node:zlib';
import type { HeaderList, ResponseHead } from '../shared/ops.ts';

export type ClientEncoding = 'br' | 'gzip';

/** Bodies known to be smaller than this go as they are: the framing would eat the gain. */
export const MIN_COMPRESS_BYTES = 1024;
// Brotli's default (11) is for static files; 4 is about gzip's speed with a better ratio,
// the level CDNs use for dynamic responses.
const BROTLI_QUALITY = 4;

function header(headers: HeaderList, name: string): string | undefined {
  return headers.find(([n]) => n === name)?.[1];
}

/** Media types whose bodies are text-like: HTML, CSS, JS, JSON, XML, SVG, wasm. */
export function isCompressible(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type.startsWith('text/')) return true;
  return /^application\/(json|javascript|x-javascript|ecmascript|xml|wasm|manifest\+json|ld\+json|x-ndjson|graphql-response\+json|[a-z0-9.+-]*\+(json|xml))$/.test(type) || type === 'image/svg+xml';
}

/**
 * The coding to use for a client's Accept-Encoding (RFC 9110 section 12.5.3): br over
 * gzip at equal weight, none when neither is acceptable.
 */
export function negotiate(acceptEncoding: string | undefined): ClientEncoding | null {
  if (!acceptEncoding) return null;
  const q: Record<string, number> = {};
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const weight = params.map((p) => /^\s*q=([01](?:\.\d{0,3})?)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    q[name.trim()] = weight === undefined ? 1 : Number(weight);
  }
  const of = (coding: ClientEncoding) => q[coding] ?? q['*'] ?? 0;
  const br = of('br');
  const gzip = Math.max(of('gzip'), q['x-gzip'] ?? 0);
  if (br > 0 && br >= gzip) return 'br';
  return gzip > 0 ? 'gzip' : null;
}

/** Whether the body of `head` may be compressed for some client (it then varies by Accept-Encoding). */
export function mayCompress(head: ResponseHead, bodyBytes: number | null): boolean {
  if (head.encodeBody === 'manual' || header(head.headers, 'content-encoding') !== undefined) return false;
  if (head.status === 206 || header(head.headers, 'content-range') !== undefined) return false;
  if (/(^|,)\s*no-transform\s*(,|$)/i.test(header(head.headers, 'cache-control') ?? '')) return false;
  const declared = Number(header(head.headers, 'content-length') ?? NaN);
  const size = bodyBytes ?? (Number.isFinite(declared) ? declared : null);
  if (size !== null && size < MIN_COMPRESS_BYTES) return false;
  return isCompressible(header(head.headers, 'content-type'));
}

/**
 * The head to send with a compressed body: Content-Encoding set, Content-Length gone
 * (the length is known only at the end), a strong ETag made weak (the bytes differ
 * from the identity representation's), Vary naming Accept-Encoding.
 */
export function compressedHead(head: ResponseHead, coding: ClientEncoding | null): ResponseHead {
  const headers: HeaderList = [];
  let vary = false;
  for (const [name, value] of head.headers) {
    if (coding !== null && name === 'content-length') continue;
    if (name === 'vary') {
      vary = true;
      const names = value.split(',').map((v) => v.trim().toLowerCase());
      headers.push([name, names.includes('*') || names.includes('accept-encoding') ? value : `${value}, Accept-Encoding`]);
      continue;
    }
    if (coding !== null && name === 'etag' && !value.startsWith('W/')) {
      headers.push([name, `W/${value}`]);
      continue;
    }
    headers.push([name, value]);
  }
  if (!vary) headers.push(['vary', 'Accept-Encoding']);
  if (coding !== null) headers.push(['content-encoding', coding]);
  return { ...head, headers };
}

export function clientEncoder(coding: ClientEncoding, sizeHint: number | null): BrotliCompress | Gzip {
  if (coding === 'gzip') return createGzip();
  return createBrotliCompress({
    params: {
      [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      ...(sizeHint !== null ? { [constants.BROTLI_PARAM_SIZE_HINT]: sizeHint } : {}),
    },
  });
}
