// Runs one worker invocation for a Node HTTP request: the request goes in with its body
// as a stream, the response head comes back first and the body follows chunk by chunk
// as the socket drains. Used by `atoll dev` and by edge nodes.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HeaderList, IncomingRequest, ResponseHead } from '../shared/ops.ts';
import { hostStreamFromReadable } from './host-stream.ts';
import type { Invocation } from './invocation.ts';
import { OUTCOME, type Outcome } from './errors.ts';
import type { WorkerIsolate } from './worker-isolate.ts';

export interface HttpInvokeOptions {
  /** The URL the worker sees (scheme and host decided by the server). */
  url: string;
  /** request.cf for this request. */
  cf: Record<string, unknown>;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Show exception messages and stacks in error responses (dev). */
  exposeErrors: boolean;
  /** Forward the request to the origin (passThroughOnException, no respondWith). */
  passThrough?(req: IncomingMessage, res: ServerResponse, body: Uint8Array | null): Promise<void>;
}

// Hop-by-hop headers (RFC 9110 section 7.6.1) are the server's business, not the worker's.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

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

/** Writes the status line and headers of a worker's response. */
export function writeHead(res: ServerResponse, head: ResponseHead, bodyLength: number | null): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of head.headers) {
    if (HOP_BY_HOP.has(name)) continue;
    const prev = headers[name];
    if (prev === undefined) headers[name] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else headers[name] = name === 'set-cookie' ? [prev, value] : `${prev}, ${value}`;
  }
  if (bodyLength !== null) headers['content-length'] = String(bodyLength);
  res.writeHead(head.status, head.statusText || undefined, headers);
}

function errorResponse(res: ServerResponse, outcome: Outcome, detail: string | null): void {
  const { status, message } = OUTCOME[outcome];
  const body = `${message} (atoll error: ${outcome})${detail ? `\n\n${detail}` : ''}\n`;
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'atoll-error': outcome, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function pipeBody(worker: WorkerIsolate, inv: Invocation, streamId: number, res: ServerResponse, headOnly: boolean): Promise<void> {
  if (headOnly) {
    worker.cancelStream(inv, streamId, 'HEAD request');
    res.end();
    return;
  }
  let closed = false;
  res.once('close', () => { closed = true; });
  for (;;) {
    if (closed) {
      worker.cancelStream(inv, streamId, 'client disconnected');
      if (inv.outcome === 'ok') inv.outcome = 'canceled';
      return;
    }
    const chunk = await worker.pull(inv, streamId);
    if (chunk === null) break;
    if (!res.write(chunk)) await new Promise<void>((r) => { res.once('drain', r); res.once('close', r); });
  }
  res.end();
}

/**
 * Runs the worker for `req` and writes its response to `res`. Resolves with the
 * invocation once the response is written and waitUntil work is done.
 */
export async function invokeHttp(worker: WorkerIsolate, req: IncomingMessage, res: ServerResponse, opts: HttpInvokeOptions): Promise<Invocation> {
  const declared = Number(req.headers['content-length'] ?? 0);
  let body: IncomingRequest['body'] = null;
  if (declared > opts.maxBodyBytes) {
    const inv = worker.fetch({ method: 'GET', url: opts.url, headers: [], body: null, cf: opts.cf });
    // Refused before the worker sees it; the invocation exists only for the log line.
    inv.settle({ kind: 'error', outcome: 'exception', error: { type: 'Error', message: 'request body too large' }, passThrough: false });
    res.writeHead(413, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
    res.end(`Request body is ${declared} bytes; the limit is ${opts.maxBodyBytes} bytes.\n`);
    inv.bodyDone();
    worker.end(inv);
    return inv;
  }
  if (hasBody(req)) body = { stream: worker.addHostStream(hostStreamFromReadable(req, opts.maxBodyBytes, 'request body')) };
  const inv = worker.fetch({ method: req.method ?? 'GET', url: opts.url, headers: incomingHeaders(req), body, cf: opts.cf });
  const result = await inv.result;
  try {
    if (result.kind === 'response') {
      const head = result.head;
      const headOnly = req.method === 'HEAD';
      if (head.body === null) {
        writeHead(res, head, 0);
        res.end();
      } else if ('bytes' in head.body) {
        writeHead(res, head, head.body.bytes.byteLength);
        res.end(headOnly ? undefined : head.body.bytes);
      } else {
        writeHead(res, head, null);
        await pipeBody(worker, inv, head.body.stream, res, headOnly);
      }
    } else if (result.passThrough && opts.passThrough && !res.headersSent) {
      await opts.passThrough(req, res, null);
    } else {
      const e = result.error;
      errorResponse(res, result.outcome, opts.exposeErrors ? (e.stack ?? `${e.type}: ${e.message}`) : null);
    }
  } catch (err) {
    // The body failed midway (the stream errored, the isolate died): the client sees a
    // cut connection, as HTTP has no way to report an error after the head.
    if (inv.outcome === 'ok') {
      inv.outcome = worker.dead ?? 'exception';
      inv.exceptions.push({ type: 'Error', message: (err as Error).message });
    }
    errorResponse(res, inv.outcome, null);
  }
  inv.bodyDone();
  await inv.finished(worker.def.limits.waitUntilMs);
  worker.end(inv);
  return inv;
}
