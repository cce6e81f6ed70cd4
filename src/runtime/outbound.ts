// The default outbound fetch for tenant sub-requests, on node:http / node:https rather
// than Node's own fetch, for the control the Fetch spec's redirect rules and Workers'
// behaviour need: it never follows a redirect itself (the runtime does, hop by hop,
// so a `manual` redirect comes back as the 3xx response itself, as on Workers, not as
// an opaque-redirect), Set-Cookie headers arrive apart from rawHeaders, and the request
// body is pulled from the isolate only as fast as the socket takes it.
//
// This is the seam embedders replace (HostServices.fetch): an edge node puts its HTTP
// cache and its own-zone routing in front of it.

import { request as httpRequest, Agent as HttpAgent, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { createBrotliDecompress, createGunzip, createInflate, constants as zlib } from 'node:zlib';
import type { Readable } from 'node:stream';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { HeaderList, RequestInit_ } from '../shared/ops.ts';
import { OpError } from './errors.ts';
import { hostStreamFromReadable, type HostStream } from './host-stream.ts';
import type { OutboundResponse } from './ops/index.ts';
import { connectOrigin, isWebSocketUpgrade } from './web-socket-upgrade.ts';

const NULL_BODY = new Set([101, 103, 204, 205, 304]);
// Hop-by-hop headers (RFC 9110 section 7.6.1) belong to one connection, not to the message.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);

export interface OutboundOptions {
  /**
   * Addresses tenant code may not reach (`isRefusedForTenants`: loopback, private and
   * link-local networks, cloud metadata, and this machine's own addresses, where the
   * control plane may listen). Checked on the address a
   * connection is made to, after DNS, so a hostname cannot smuggle one in.
   */
  refuseAddress?(address: string): boolean;
}

type Agents = { 'http:': HttpAgent; 'https:': HttpsAgent };
type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

// Loopback, private, shared (CGNAT), link-local, multicast and reserved ranges.
const PRIVATE = new BlockList();
for (const [net, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4]] as const) PRIVATE.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) PRIVATE.addSubnet(net, prefix, 'ipv6');

/** True for addresses inside the host's own networks rather than on the internet. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return PRIVATE.check(mapped[1], 'ipv4');
  const family = isIP(address);
  if (family === 0) return false;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

// This machine's own addresses, read again at most once a second: interfaces change
// rarely, and a lookup per connection would cost a syscall each.
let ownAddresses: { at: number; set: Set<string> } = { at: -Infinity, set: new Set() };

/**
 * True for an address of one of this machine's interfaces. A platform listening on
 * 0.0.0.0 answers on its public addresses too, which isPrivateAddress lets through.
 */
export function isOwnAddress(address: string): boolean {
  const now = performance.now();
  if (now - ownAddresses.at > 1000) {
    const set = new Set<string>();
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) set.add(i.address.toLowerCase());
    ownAddresses = { at: now, set };
  }
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return ownAddresses.set.has((mapped ? mapped[1]! : address).toLowerCase());
}

/** What tenant code may not reach: the host's own networks and the machine itself. */
export function isRefusedForTenants(address: string): boolean {
  return isPrivateAddress(address) || isOwnAddress(address);
}

class RefusedAddressError extends Error {
  readonly code = 'EREFUSEDADDRESS';
}

// dns.lookup, without the addresses the policy refuses.
function guardedLookup(refuse: (address: string) => boolean) {
  return (hostname: string, options: { all?: boolean }, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      const allowed = addresses.filter((a) => !refuse(a.address));
      if (allowed.length === 0) {
        return callback(new RefusedAddressError(`${hostname} resolves to ${addresses.map((a) => a.address).join(', ')}, which this platform does not let workers reach`), '');
      }
      if (options.all) callback(null, allowed);
      else callback(null, allowed[0].address, allowed[0].family);
    });
  };
}

interface Hop {
  method: string;
  url: URL;
  headers: HeaderList;
  /** Bytes that can be sent again on a 307/308, or a stream that can be sent once. */
  body: { bytes: Uint8Array } | { stream: HostStream } | null;
}

function networkError(url: URL, err: unknown): OpError {
  if (err instanceof RefusedAddressError) return new OpError('TypeError', `Fetch to ${url.href} is not allowed: ${err.message}.`);
  const e = err as NodeJS.ErrnoException;
  const why = e.code ? `${e.code}${e.message && !e.message.includes(e.code) ? `: ${e.message}` : ` (${e.message})`}` : e.message;
  // Workers' wording for a connection that broke; other failures (refused, DNS, TLS) say what happened.
  const lead = e.code === 'ECONNRESET' || e.code === 'EPIPE' || e.message === 'socket hang up' ? 'Network connection lost' : 'Network error';
  return new OpError('TypeError', `${lead} while fetching ${url.href}: ${why}`);
}

function abortError(): OpError {
  return new OpError('DOMException:AbortError', 'The operation was aborted.');
}

/** Sends one request; resolves with the response head (its body unread). */
function send(hop: Hop, signal: AbortSignal, agents: Agents, lookup: ReturnType<typeof guardedLookup> | undefined): Promise<{ res: IncomingMessage; req: ClientRequest }> {
  return new Promise((resolve, reject) => {
    // With headers as an array Node adds no Host header of its own; the tenant's Host is
    // replaced, as the URL decides where the request goes.
    const headers: [string, string][] = [['host', hop.url.host]];
    for (const [name, value] of hop.headers) if (!HOP_BY_HOP.has(name) && !(name === 'content-length' && hop.body)) headers.push([name, value]);
    if (hop.body && 'bytes' in hop.body) headers.push(['content-length', String(hop.body.bytes.byteLength)]);
    let req: ClientRequest;
    try {
      const make = hop.url.protocol === 'https:' ? httpsRequest : httpRequest;
      req = make(hop.url, {
        method: hop.method,
        // A flat [name, value, name, value] array keeps repeated headers (cookies) apart.
        headers: headers.flat(),
        agent: agents[hop.url.protocol as 'http:' | 'https:'],
        lookup: lookup as never,
        signal,
      });
    } catch (err) {
      // Node refuses some values the Fetch spec allows (control characters, for one).
      reject(new OpError('TypeError', `Fetch API cannot send this request to ${hop.url.href}: ${(err as Error).message}`));
      return;
    }
    req.once('response', (res) => resolve({ res, req }));
    // 'on', not 'once': a request can emit more than one error, and an unheard one would crash the process.
    req.on('error', (err) => reject(signal.aborted ? abortError() : networkError(hop.url, err)));
    const body = hop.body;
    if (!body) req.end();
    else if ('bytes' in body) req.end(body.bytes);
    else pump(body.stream, req).catch((err: Error) => req.destroy(new Error(`the request body stream failed: ${err.message}`)));
  });
}

// Pulls the isolate's request body as fast as the socket drains, not faster.
async function pump(body: HostStream, req: ClientRequest): Promise<void> {
  for (;;) {
    if (req.destroyed) {
      body.cancel('the request was closed');
      return;
    }
    const chunk = await body.read();
    if (chunk === null) break;
    if (!req.write(chunk)) {
      await new Promise<void>((r) => {
        req.once('drain', r);
        req.once('close', r);
      });
    }
  }
  req.end();
}

function responseHeaders(res: IncomingMessage): HeaderList {
  const out: HeaderList = [];
  const raw = res.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name === 'connection' || name === 'keep-alive' || name === 'transfer-encoding') continue;
    out.push([name, raw[i + 1]]);
  }
  return out;
}

// The body as the worker sees it: decoded, as Workers decodes gzip/deflate/br. The
// Content-Encoding and Content-Length headers go with it, so a worker that returns the
// response as-is sends the client plain bytes labelled as such.
function decodedBody(res: IncomingMessage, headers: HeaderList): { body: Readable; headers: HeaderList } {
  const encoding = headers.find(([n]) => n === 'content-encoding')?.[1].trim().toLowerCase();
  const flush = { flush: zlib.Z_SYNC_FLUSH, finishFlush: zlib.Z_SYNC_FLUSH };
  let decoder: Readable & NodeJS.WritableStream | null = null;
  if (encoding === 'gzip' || encoding === 'x-gzip') decoder = createGunzip(flush);
  else if (encoding === 'deflate') decoder = createInflate(flush);
  else if (encoding === 'br') decoder = createBrotliDecompress({ flush: zlib.BROTLI_OPERATION_FLUSH, finishFlush: zlib.BROTLI_OPERATION_FLUSH });
  if (!decoder) return { body: res, headers };
  res.pipe(decoder);
  res.once('error', (err) => decoder.destroy(err));
  decoder.once('close', () => res.destroy());
  return { body: decoder, headers: headers.filter(([n]) => n !== 'content-encoding' && n !== 'content-length') };
}

/**
 * Makes the outbound fetch an embedder hands the runtime (HostServices.fetch). Each one
 * has its own connection pool, so sockets opened under one policy never serve another.
 *
 * The fetch it returns is one HTTP exchange: the response to exactly this request, a 3xx
 * included. Following redirects is the runtime's policy (ops/fetch.ts), so that every
 * hop is counted as a sub-request, as on Workers, and goes through this seam again.
 */
export function createOutboundFetch(opts: OutboundOptions = {}) {
  const agents: Agents = {
    'http:': new HttpAgent({ keepAlive: true, maxSockets: 256 }),
    'https:': new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
  };
  const refuse = opts.refuseAddress;
  const lookup = refuse ? guardedLookup(refuse) : undefined;
  return async function outboundFetch(init: RequestInit_, body: HostStream | null, signal: AbortSignal): Promise<OutboundResponse> {
    if (signal.aborted) throw abortError();
    const url = new URL(init.url);
    // An address literal is connected to without a lookup: check it here.
    const literal = url.hostname.replace(/^\[|\]$/g, '');
    if (refuse && isIP(literal) !== 0 && refuse(literal)) {
      throw new OpError('TypeError', `Fetch to ${url.href} is not allowed: ${literal} is an address this platform does not let workers reach.`);
    }
    if (isWebSocketUpgrade(init)) return connectOrigin(init, signal, lookup);
    const hop: Hop = {
      method: init.method,
      url,
      headers: init.headers,
      body: init.body && 'bytes' in init.body ? { bytes: init.body.bytes } : body ? { stream: body } : null,
    };
    const { res } = await send(hop, signal, agents, lookup);
    return respond(res, hop, signal);
  };
}

/** The outbound fetch with no address policy (atoll dev, tests: origins on loopback). */
export const outboundFetch = createOutboundFetch();

function respond(res: IncomingMessage, hop: Hop, signal: AbortSignal): OutboundResponse {
  const status = res.statusCode ?? 0;
  const raw = responseHeaders(res);
  // A response's URL never has a fragment (https://fetch.spec.whatwg.org/#dom-response-url).
  const url = new URL(hop.url);
  url.hash = '';
  const head = { status, statusText: res.statusMessage ?? '', url: url.href, redirected: false };
  if (hop.method === 'HEAD' || NULL_BODY.has(status)) {
    res.resume();
    return { head: { ...head, headers: raw }, body: null };
  }
  const { body, headers } = decodedBody(res, raw);
  // The request's signal also closes the response body (the invocation ended, the tenant aborted).
  const onAbort = (): void => { body.destroy(); };
  signal.addEventListener('abort', onAbort, { once: true });
  body.once('close', () => signal.removeEventListener('abort', onAbort));
  return { head: { ...head, headers }, body: hostStreamFromReadable(body, Infinity, `the response body from ${hop.url.href}`) };
}
