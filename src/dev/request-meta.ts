// What the dev server adds to each incoming request, as Cloudflare's edge does: the
// client's address in CF-Connecting-IP and X-Forwarded-For, and `request.cf`. The
// client address comes from the socket unless --trust-forwarded-for says a proxy in
// front of atoll put the real one in X-Forwarded-For.

import type { IncomingMessage } from 'node:http';

export function clientAddress(req: IncomingMessage, trustForwardedFor: boolean): string {
  if (trustForwardedFor) {
    const first = String(req.headers['x-forwarded-for'] ?? '').split(',')[0].trim();
    if (first !== '') return first;
  }
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
}

/** Two letters from CF-IPCountry (a proxy or a test may set it), else "XX" (unknown), as Cloudflare uses. */
function country(req: IncomingMessage): string {
  const v = String(req.headers['cf-ipcountry'] ?? '');
  return /^[A-Za-z][A-Za-z0-9]$/.test(v) ? v.toUpperCase() : 'XX';
}

/** `location` is request.cf.colo: "DEV" unless --location names one. */
export function requestCf(req: IncomingMessage, location: string): Record<string, unknown> {
  return {
    colo: location,
    country: country(req),
    httpProtocol: `HTTP/${req.httpVersion}`,
    clientAcceptEncoding: req.headers['accept-encoding'] ?? '',
    requestPriority: '',
    edgeRequestKeepAliveStatus: 1,
  };
}

const REPLACED = new Set(['cf-connecting-ip', 'x-forwarded-for', 'x-real-ip']);

/**
 * Rewrites the headers the worker will see: a client cannot forge CF-Connecting-IP,
 * and X-Forwarded-For keeps a trusted proxy's chain or starts one with the client.
 */
export function addClientHeaders(req: IncomingMessage, address: string, trustForwardedFor: boolean): void {
  const forwarded = trustForwardedFor && req.headers['x-forwarded-for'] ? String(req.headers['x-forwarded-for']) : address;
  const raw: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (!REPLACED.has(req.rawHeaders[i].toLowerCase())) raw.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  raw.push('CF-Connecting-IP', address, 'X-Forwarded-For', forwarded, 'X-Forwarded-Proto', 'http');
  req.rawHeaders.splice(0, req.rawHeaders.length, ...raw);
}
