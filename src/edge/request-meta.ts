// What atoll adds to each incoming request, as Cloudflare's edge does, for `atoll dev`
// and edge nodes alike: the client address, `request.cf`, and the headers workers and
// origins read (CF-Connecting-IP, CF-IPCountry, X-Forwarded-For, X-Forwarded-Proto).
//
// The client address is the socket's, unless the operator trusts X-Forwarded-For (a
// proxy of theirs in front of atoll writes it). Then the address is read from the right
// of that header: each proxy appends the address it was reached from, so the rightmost
// entries are written by the operator's proxies and the leftmost ones by whoever sent
// the request. Entries in loopback and private networks are taken for the operator's
// own proxies and skipped; the first public one is the client (or, if all are private,
// the leftmost). Headers a client sends in these names are replaced, never believed.

import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { isPrivateAddress } from '../runtime/outbound.ts';
import { lookupGeo, rememberedGeo, type Geo } from './geo.ts';

export interface ClientMeta {
  /** The client's address. */
  address: string;
  /** The X-Forwarded-For to pass on: the trusted chain with the socket's peer appended, or the client alone. */
  forwardedFor: string;
  /** "https" when TLS ended at atoll, else "http". */
  proto: 'http' | 'https';
  geo: Geo | null;
  /** request.cf; built when first read (a request no worker runs for never needs it). */
  readonly cf: Record<string, unknown>;
}

/** An X-Forwarded-For the operator said to trust, but that does not hold addresses. */
export class BadForwardedFor extends Error {}

const REPLACED = new Set(['cf-connecting-ip', 'cf-ipcountry', 'x-forwarded-for', 'x-forwarded-proto', 'x-real-ip']);

function peerAddress(req: IncomingMessage): string {
  return (req.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');
}

// One X-Forwarded-For entry: an address, possibly with a port ("1.2.3.4:56",
// "[2001:db8::1]:56") as some load balancers write it.
function entryAddress(entry: string): string | null {
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(entry);
  const v4port = /^(\d+\.\d+\.\d+\.\d+):\d{1,5}$/.exec(entry);
  const ip = bracketed?.[1] ?? v4port?.[1] ?? entry;
  return isIP(ip) ? ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '') : null;
}

/** The client address from a trusted X-Forwarded-For value (see the top of this file). */
export function forwardedClient(header: string): string {
  const entries = header.split(',').map((e) => e.trim());
  const addresses: string[] = [];
  for (const entry of entries) {
    const ip = entryAddress(entry);
    if (ip === null) {
      throw new BadForwardedFor(`The X-Forwarded-For header holds "${entry.slice(0, 60)}", which is not an IP address. This atoll trusts X-Forwarded-For (--trust-forwarded-for), so the proxy in front of it must send a comma-separated list of client addresses; fix the proxy, or stop trusting the header.`);
    }
    addresses.push(ip);
  }
  for (let i = addresses.length - 1; i >= 0; i--) if (!isPrivateAddress(addresses[i]!)) return addresses[i]!;
  return addresses[0]!;
}

// The scheme the client used, from the trusted proxy (absent: "http").
function forwardedProto(header: string | string[] | undefined): 'http' | 'https' {
  const value = String(header ?? 'http').trim().toLowerCase();
  if (value === 'http' || value === 'https') return value;
  throw new BadForwardedFor(`The X-Forwarded-Proto header is "${value.slice(0, 30)}"; a proxy this atoll trusts (--trust-forwarded-for) must send "http" or "https" there, or leave it out.`);
}

function tlsFields(req: IncomingMessage): Record<string, unknown> {
  const socket = req.socket as Partial<TLSSocket>;
  if (socket.encrypted !== true) return {};
  return { tlsVersion: socket.getProtocol?.() ?? '', tlsCipher: socket.getCipher?.()?.name ?? '' };
}

/**
 * Who sent `req` and `request.cf` for it. `location` is request.cf.colo. Throws
 * BadForwardedFor when a trusted X-Forwarded-For is malformed (answer 400 with its message).
 */
export function clientMeta(req: IncomingMessage, location: string, trustForwardedFor: boolean): ClientMeta | Promise<ClientMeta> {
  const peer = peerAddress(req);
  // node:http joins repeated X-Forwarded-For lines with commas.
  const forwarded = req.headers['x-forwarded-for'];
  const header = trustForwardedFor && forwarded !== undefined ? String(forwarded).trim() : '';
  const chain = header !== '' ? header : null;
  const address = chain === null ? peer : forwardedClient(chain);
  const proto = (req.socket as Partial<TLSSocket>).encrypted === true ? 'https' : chain === null ? 'http' : forwardedProto(req.headers['x-forwarded-proto']);
  const forwardedFor = chain === null ? address : `${chain}, ${peer}`;
  // An address seen lately (the usual case) is answered without a turn of the event loop.
  const known = rememberedGeo(address);
  if (known !== undefined) return new RequestMeta(req, location, address, forwardedFor, proto, known);
  return lookupGeo(address).then((geo) => new RequestMeta(req, location, address, forwardedFor, proto, geo));
}

class RequestMeta implements ClientMeta {
  readonly address: string;
  readonly forwardedFor: string;
  readonly proto: 'http' | 'https';
  readonly geo: Geo | null;
  readonly #req: IncomingMessage;
  readonly #location: string;
  #cf: Record<string, unknown> | null = null;

  constructor(req: IncomingMessage, location: string, address: string, forwardedFor: string, proto: 'http' | 'https', geo: Geo | null) {
    this.#req = req;
    this.#location = location;
    this.address = address;
    this.forwardedFor = forwardedFor;
    this.proto = proto;
    this.geo = geo;
  }

  get cf(): Record<string, unknown> {
    const req = this.#req;
    return this.#cf ??= {
      colo: this.#location,
      // "XX" is Cloudflare's code for a country it does not know.
      country: 'XX',
      ...this.geo,
      httpProtocol: req.httpVersion === '2.0' ? 'HTTP/2' : `HTTP/${req.httpVersion}`,
      ...tlsFields(req),
      clientAcceptEncoding: req.headers['accept-encoding'] ?? '',
      requestPriority: '',
      edgeRequestKeepAliveStatus: 1,
    };
  }
}

/**
 * Rewrites the headers the worker (and the origin) will see: CF-Connecting-IP and
 * CF-IPCountry as atoll determined them, X-Forwarded-For and X-Forwarded-Proto; a
 * client's own values for these are dropped.
 */
export function addClientHeaders(req: IncomingMessage, meta: ClientMeta): void {
  const raw = req.rawHeaders;
  let kept = 0;
  for (let i = 0; i < raw.length; i += 2) {
    if (REPLACED.has(raw[i]!.toLowerCase())) continue;
    raw[kept++] = raw[i]!;
    raw[kept++] = raw[i + 1]!;
  }
  raw.length = kept;
  raw.push('CF-Connecting-IP', meta.address, 'CF-IPCountry', meta.geo?.country ?? 'XX', 'X-Forwarded-For', meta.forwardedFor, 'X-Forwarded-Proto', meta.proto);
  // node:http parsed req.headers already; keep the two views the same for later readers.
  for (const name of REPLACED) if (name in req.headers) delete req.headers[name];
  req.headers['cf-connecting-ip'] = meta.address;
  req.headers['cf-ipcountry'] = meta.geo?.country ?? 'XX';
  req.headers['x-forwarded-for'] = meta.forwardedFor;
  req.headers['x-forwarded-proto'] = meta.proto;
}
