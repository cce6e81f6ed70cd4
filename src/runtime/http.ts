// Runs one worker invocation for a Node HTTP request: the request goes in with its body
// as a stream, the response head comes back first and the body follows chunk by chunk
// as the socket drains. Used by `atoll dev` and by edge nodes.
//
// Hostile input never reaches the worker in a shape it cannot handle, and never takes
// the process down: requests the server refuses get a plain-text answer that says why
// (`handleClientError` for what Node's parser rejects; 405, 413 here).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createBrotliCompress, createDeflate, createGzip, type Zlib } from 'node:zlib';
import type { HeaderList, ResponseHead } from '../shared/ops.ts';
import { clientEncoder, compressedHead, mayCompress, negotiate } from './client-compression.ts';
import { hostStreamFromReadable, takeHostStream } from './host-stream.ts';
import { Invocation } from './invocation.ts';
import { OUTCOME, type Outcome } from './errors.ts';
import type { WorkerIsolate } from './worker-isolate.ts';
import { acceptWebSocket } from './web-socket-upgrade.ts';

export interface HttpInvokeOptions {
  /** The URL the worker sees (scheme and host decided by the server). */
  url: string;
  /** request.cf for this request. */
  cf: Record<string, unknown>;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Show exception messages and stacks in error responses (dev). */
  exposeErrors: boolean;
  /** Rewrites a shown stack (atoll dev maps bundle positions to the user's source files). */
  mapStack?(stack: string): string;
  /** Forward the request to the origin (passThroughOnException, no respondWith). */
  passThrough?(req: IncomingMessage, res: ServerResponse, body: Uint8Array | null): Promise<void>;
}

// Hop-by-hop headers (RFC 9110 section 7.6.1) are the server's business, not the worker's.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);
// Methods a Request cannot carry (https://fetch.spec.whatwg.org/#forbidden-method).
const REFUSED_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

export function incomingHeaders(req: IncomingMessage): HeaderList {
  const out: HeaderList = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
}

function hasBody(req: IncomingMessage): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return false;
  const len = req.headers['content-length'];
  if (len !== undefined) return Number(len) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

/** Statuses whose responses have no body (RFC 9110 sections 6.4.1, 15.3.5, 15.4.5). */
function isNullBodyStatus(status: number): boolean {
  return status < 200 || status === 204 || status === 205 || status === 304;
}

/**
 * Writes the status line and headers of a worker's response. `bodyLength` is the
 * Content-Length to send, or null to leave it to the head (a stream, HEAD, 304).
 */
export function writeHead(res: ServerResponse, head: ResponseHead, bodyLength: number | null): void {
  const headers: Record<string, string | string[]> = {};
  const noLength = head.status < 200 || head.status === 204;
  for (const [name, value] of head.headers) {
    if (HOP_BY_HOP.has(name)) continue;
    // A 1xx or 204 response must not carry a Content-Length (RFC 9110 section 8.6).
    if (name === 'content-length' && (noLength || bodyLength !== null)) continue;
    const prev = headers[name];
    // Set-Cookie values stay separate header lines: they cannot be joined with commas.
    if (prev === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (Array.isArray(prev)) prev.push(value);
    else headers[name] = `${prev}, ${value}`;
  }
  if (bodyLength !== null && !noLength) headers['content-length'] = String(bodyLength);
  res.writeHead(head.status, head.statusText || undefined, headers);
}

function plainResponse(res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(Buffer.byteLength(body)), ...extra });
  res.end(body);
}

function errorResponse(res: ServerResponse, outcome: Outcome, detail: string | null): void {
  const { status, message } = OUTCOME[outcome];
  plainResponse(res, status, `${message} (atoll error: ${outcome})${detail ? `\n\n${detail}` : ''}\n`, { 'atoll-error': outcome });
}

/**
 * Answers a request Node's HTTP parser refused (install as the server's 'clientError'
 * listener): a clear status and reason instead of a silent reset, and no crash.
 */
export function handleClientError(err: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Duplex): void {
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const answers: Record<string, [number, string, string]> = {
    HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'The request headers are larger than the server accepts.'],
    HPE_INVALID_METHOD: [501, 'Not Implemented', 'The request method is not a method this server knows.'],
    ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'The request took too long to arrive.'],
    HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'Content Too Large', 'The request body has oversized chunk extensions.'],
  };
  const [status, reason, message] = answers[err.code ?? ''] ?? [400, 'Bad Request', `The request is not valid HTTP/1.1 (${err.code ?? 'parse error'}).`];
  const body = `${message}\n`;
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** An invocation that never ran the worker: the request was refused at the door. */
function refused(res: ServerResponse, status: number, message: string): Invocation {
  const inv = new Invocation(0n, 0);
  // The rest of a refused body is not read: close the connection after the answer.
  plainResponse(res, status, message, { connection: 'close' });
  inv.exceptions.push({ type: 'Error', message: message.trim() });
  inv.bodyDone();
  inv.waitUntilSettled();
  inv.ended = true;
  return inv;
}

/** Drops a response body nobody will send: a host stream is closed, an isolate stream canceled. */
function cancelBody(worker: WorkerIsolate, inv: Invocation, streamId: number, reason: string): void {
  if (streamId < 0) {
    worker.cancelStream(inv, streamId, reason);
    return;
  }
  const s = worker.hostStreams.get(streamId);
  worker.hostStreams.delete(streamId);
  s?.cancel(reason);
}

// Waits until the sink can take more, or the client went away; leaves no listener
// behind (a long body to a slow reader waits here thousands of times).
function drainOrClose(sink: NodeJS.WritableStream, res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (): void => {
      sink.removeListener('drain', done);
      res.removeListener('close', done);
      resolve();
    };
    sink.once('drain', done);
    res.once('close', done);
  });
}

// Copies an isolate stream to `sink` (the socket, or an encoder in front of it) as the
// socket drains; a client that goes away cancels the stream in the isolate. An encoder
// is flushed after each chunk, so what the worker wrote goes out now.
async function pipeBody(worker: WorkerIsolate, inv: Invocation, streamId: number, res: ServerResponse, sink: Writable, encoder: Zlib | null): Promise<void> {
  // A positive id is a host stream the worker passed through (a fetch response, the
  // request body): read here directly, it costs the worker no CPU time per chunk.
  const host = streamId > 0 ? takeHostStream(worker.hostStreams, streamId) : null;
  let closed = false;
  res.once('close', () => { closed = true; });
  for (;;) {
    if (closed) {
      if (host) host.cancel('client disconnected');
      else worker.cancelStream(inv, streamId, 'client disconnected');
      if (inv.outcome === 'ok') inv.outcome = 'canceled';
      return;
    }
    const chunk = host ? await host.read() : await worker.pull(inv, streamId);
    if (chunk === null) break;
    const more = sink.write(chunk);
    encoder?.flush();
    if (!more) await drainOrClose(sink, res);
  }
  sink.end();
}

/**
 * Workers' encodeBody "automatic": a body sent with Content-Encoding gzip, deflate or br
 * is encoded by the platform; "manual" means the worker already did it.
 */
function encoderFor(head: ResponseHead): (Transform & Zlib) | null {
  if (head.encodeBody === 'manual') return null;
  const value = head.headers.find(([n]) => n === 'content-encoding')?.[1].trim().toLowerCase();
  if (value === 'gzip' || value === 'x-gzip') return createGzip();
  if (value === 'deflate') return createDeflate();
  if (value === 'br') return createBrotliCompress();
  return null;
}

/**
 * Runs the worker for `req` and writes its response to `res`. Resolves with the
 * invocation once the response is written and waitUntil work is done.
 */
export async function invokeHttp(worker: WorkerIsolate, req: IncomingMessage, res: ServerResponse, opts: HttpInvokeOptions): Promise<Invocation> {
  const method = req.method ?? 'GET';
  if (REFUSED_METHODS.has(method.toUpperCase())) {
    return refused(res, 405, `The ${method} method is not allowed.\n`);
  }
  // The URL comes from the client's Host header and request target: a Request needs it valid.
  if (!URL.canParse(opts.url)) {
    return refused(res, 400, 'The request URL (from the Host header and the request target) is not a valid URL.\n');
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > opts.maxBodyBytes) {
    return refused(res, 413, `The request body is ${declared} bytes; the limit is ${opts.maxBodyBytes} bytes.\n`);
  }
  // A chunked body only shows its size as it arrives: past the limit, the worker's read
  // fails and the client gets a 413 whatever the worker does with that error.
  let tooLarge = false;
  let clientGone = false;
  let bodyId: number | null = null;
  if (hasBody(req)) {
    const stream = hostStreamFromReadable(req, opts.maxBodyBytes, 'the request body', () => { tooLarge = true; }, true);
    bodyId = worker.addHostStream(stream);
  }
  const inv = worker.fetch({ method, url: opts.url, headers: incomingHeaders(req), body: bodyId === null ? null : { stream: bodyId }, cf: opts.cf });
  res.once('close', () => {
    if (res.writableFinished) return;
    clientGone = true;
    // Nobody waits for an answer any more: stop waiting for the handler (as Workers
    // cancels it); ending the invocation below aborts its sub-requests.
    inv.settle({ kind: 'error', outcome: 'canceled', error: { type: 'Error', message: 'The client disconnected before the response was sent.' }, passThrough: false });
  });
  const result = await inv.result;
  try {
    if (clientGone) {
      // Nobody to answer: the client hung up (mid-body, or while the worker ran).
      if (result.kind === 'response' && result.head.body && 'stream' in result.head.body) cancelBody(worker, inv, result.head.body.stream, 'client disconnected');
      if (inv.outcome === 'ok' || result.kind === 'error') inv.outcome = 'canceled';
    } else if (tooLarge) {
      if (result.kind === 'response' && result.head.body && 'stream' in result.head.body) cancelBody(worker, inv, result.head.body.stream, 'request body too large');
      plainResponse(res, 413, `The request body is larger than the limit of ${opts.maxBodyBytes} bytes.\n`, { connection: 'close' });
    } else if (result.kind === 'response') {
      await writeResponse(worker, inv, req, res, result.head);
    } else if (result.passThrough && opts.passThrough && !res.headersSent) {
      await opts.passThrough(req, res, null);
    } else {
      const e = result.error;
      const stack = e.stack ?? `${e.type}: ${e.message}`;
      errorResponse(res, result.outcome, opts.exposeErrors ? (opts.mapStack?.(stack) ?? stack) : null);
    }
  } catch (err) {
    // The body failed midway (the stream errored, the isolate died): the client sees a
    // cut connection, as HTTP has no way to report an error after the head.
    if (inv.outcome === 'ok') {
      inv.outcome = worker.dead ?? 'exception';
      inv.exceptions.push({ type: 'Error', message: (err as Error).message });
    }
    errorResponse(res, inv.outcome, opts.exposeErrors ? (err as Error).message : null);
  }
  inv.bodyDone();
  await inv.finished(worker.def.limits.waitUntilMs);
  await worker.end(inv);
  // A request body the worker never read to the end is forgotten with its invocation
  // (Node drains or closes the socket itself).
  if (bodyId !== null) worker.hostStreams.delete(bodyId);
  return inv;
}

// The head came out of the isolate: checked here, as tenant code may have subverted the
// prelude that built it.
function malformed(head: ResponseHead): string | null {
  if (head.status === 0) return 'it is Response.error(), a network error.';
  if (!Number.isInteger(head.status) || head.status < 101 || head.status > 599) return `its status ${String(head.status)} is not a valid HTTP status.`;
  if (typeof head.statusText !== 'string') return 'its statusText is not a string.';
  if (!Array.isArray(head.headers) || head.headers.some((p) => !Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'string')) {
    return 'its headers are not a list of [name, value] strings.';
  }
  const b = head.body as unknown;
  if (b !== null && !(typeof b === 'object' && (
    ('bytes' in b && (b as { bytes: unknown }).bytes instanceof Uint8Array) || ('stream' in b && Number.isInteger((b as { stream: unknown }).stream))
  ))) return 'its body is neither bytes nor a stream.';
  return null;
}

async function writeResponse(worker: WorkerIsolate, inv: Invocation, req: IncomingMessage, res: ServerResponse, head: ResponseHead): Promise<void> {
  const problem = malformed(head);
  if (problem) throw new Error(`The worker's response could not be sent: ${problem}`);
  const headOnly = req.method === 'HEAD';
  const stream = head.body && 'stream' in head.body ? head.body.stream : null;
  if (head.status === 101) {
    if (stream !== null) cancelBody(worker, inv, stream, 'not sent');
    return acceptWebSocket(worker, req, res, head);
  }
  const hasBody = !isNullBodyStatus(head.status) && head.body !== null;
  let encoder = hasBody ? encoderFor(head) : null;
  // Compression for the client (not for HEAD: its headers would then describe a body
  // that is never sent): the response varies by Accept-Encoding even when this client
  // gets it as it is.
  if (hasBody && !headOnly && encoder === null) {
    const bytes = 'bytes' in head.body! ? head.body.bytes.byteLength : null;
    if (mayCompress(head, bytes)) {
      const coding = negotiate(req.headers['accept-encoding']);
      head = compressedHead(head, coding);
      if (coding !== null) encoder = clientEncoder(coding, bytes);
    }
  }
  try {
    if (isNullBodyStatus(head.status)) {
      // 204/205/304 and 1xx carry no body whatever the worker attached.
      writeHead(res, head, head.status === 205 ? 0 : null);
    } else if (head.body === null) {
      // A HEAD answer keeps the Content-Length the worker (or its origin) reported.
      writeHead(res, head, headOnly ? null : 0);
    } else if (encoder) {
      // The encoded length is unknown until the end: the body goes chunked. The head goes
      // out now: the encoder may hold its first bytes, and a body that fails before any
      // must still reach the client as a status and a cut, not as a closed connection.
      writeHead(res, { ...head, headers: head.headers.filter(([n]) => n !== 'content-length') }, null);
      res.flushHeaders();
    } else if ('bytes' in head.body) {
      writeHead(res, head, head.body.bytes.byteLength);
    } else {
      // A FixedLengthStream's length, when the prelude reports a sane one.
      const length = head.body.length;
      writeHead(res, head, Number.isSafeInteger(length) && length! >= 0 ? length! : null);
      // A stream that does not match the Content-Length it was sent with cuts the
      // connection, instead of leaving the client waiting for bytes that never come.
      res.strictContentLength = true;
    }
  } catch (err) {
    // Node refuses some header bytes the Fetch spec allows (control characters).
    if (stream !== null) cancelBody(worker, inv, stream, 'not sent');
    throw new Error(`The worker's response could not be sent: ${(err as Error).message}`);
  }
  if (!hasBody || headOnly) {
    if (stream !== null) cancelBody(worker, inv, stream, headOnly ? 'HEAD request' : 'no body for this status');
    res.end();
    return;
  }
  let sink: Writable = res;
  let sent: Promise<void> | null = null;
  if (encoder) {
    sink = encoder;
    sent = pipeline(encoder, res).catch(() => {});
  }
  if ('bytes' in head.body!) sink.end(head.body.bytes);
  else await pipeBody(worker, inv, head.body!.stream, res, sink, encoder);
  await sent;
}
