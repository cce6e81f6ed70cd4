// Runs one worker invocation for a request that comes from inside the platform (a
// service binding), without a socket: the twin of invokeHttp (http.ts). The request
// body goes in as a host stream; the response comes back as a head and a host stream
// the caller reads at its own pace, so bodies stream both ways with backpressure and
// the target's CPU is charged to the target's own invocation, never to the caller.
//
// As on Workers, a target that throws (or hits a limit) answers with an error response
// (500 for an exception) rather than failing the caller's fetch.

import type { HeaderList, ResponseHead } from '../shared/ops.ts';
import { OUTCOME, OpError, type Outcome } from './errors.ts';
import { takeHostStream, type HostStream } from './host-stream.ts';
import type { Invocation } from './invocation.ts';
import type { OutboundResponse } from './ops/index.ts';
import type { WorkerIsolate } from './worker-isolate.ts';

export interface InProcessRequest {
  method: string;
  url: string;
  headers: HeaderList;
  body: HostStream | null;
  cf: Record<string, unknown>;
  /** The caller gave up (aborted, or its invocation ended): the target is canceled. */
  signal: AbortSignal;
  /** How many service calls deep this request is (1: called from a client's request). */
  depth: number;
  /** The calls of the client request this one descends from (shared, counted by the op). */
  tree: ServiceTree;
}

export interface InProcessCall {
  /** The target's response head and body; rejects only for a response that cannot be handed over. */
  response: Promise<OutboundResponse>;
  /** Resolves once the body was read or dropped and waitUntil work is done; never rejects. */
  done: Promise<Invocation>;
}

/** The service calls of one client request, counted across every worker it reached. */
export interface ServiceTree {
  calls: number;
}

interface ServiceChain {
  /** How many service calls deep the invocation runs; a client's request is 0. */
  depth: number;
  tree: ServiceTree;
}

const chains = new WeakMap<Invocation, ServiceChain>();

/** Where invocation `inv` stands in its request's tree of service calls. */
export function serviceChain(inv: Invocation): ServiceChain {
  let chain = chains.get(inv);
  if (!chain) {
    chain = { depth: 0, tree: { calls: 0 } };
    chains.set(inv, chain);
  }
  return chain;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE = /[\0\r\n]|[^\0-\xff]/;

// The head came out of the target's isolate and goes into the caller's: checked here,
// as tenant code may have subverted the prelude that built it.
function malformed(head: ResponseHead): string | null {
  if (head.status === 0) return 'it is Response.error(), a network error.';
  if (!Number.isInteger(head.status) || head.status < 101 || head.status > 599) return `its status ${String(head.status)} is not a valid HTTP status.`;
  if (typeof head.statusText !== 'string' || BAD_VALUE.test(head.statusText)) return 'its statusText is not valid.';
  if (!Array.isArray(head.headers) || head.headers.length > 1000 || head.headers.some((p) => !Array.isArray(p) || p.length !== 2 || typeof p[0] !== 'string' || typeof p[1] !== 'string' || !TOKEN.test(p[0]) || BAD_VALUE.test(p[1]))) {
    return 'its headers are not a list of valid [name, value] strings.';
  }
  const b = head.body as unknown;
  if (b !== null && !(typeof b === 'object' && (
    ('bytes' in b && (b as { bytes: unknown }).bytes instanceof Uint8Array) || ('stream' in b && Number.isInteger((b as { stream: unknown }).stream))
  ))) return 'its body is neither bytes nor a stream.';
  return null;
}

/** The answer for an invocation that ended without a response, as invokeHttp words it. */
function errorResponse(outcome: Outcome, url: string, detail: string | null): OutboundResponse {
  const { status, message } = OUTCOME[outcome];
  const text = `${message} (atoll error: ${outcome})${detail ? `\n\n${detail}` : ''}\n`;
  const bytes = new TextEncoder().encode(text);
  let sent = false;
  return {
    head: {
      status, statusText: '', url, redirected: false,
      headers: [['content-type', 'text/plain; charset=utf-8'], ['content-length', String(bytes.byteLength)], ['atoll-error', outcome]],
    },
    body: { read: async () => (sent ? null : ((sent = true), bytes)), cancel() { sent = true; } },
  };
}

const isNullBodyStatus = (status: number) => status < 200 || status === 204 || status === 205 || status === 304;

/**
 * Starts the worker's invocation for `req`. The caller must read or cancel the body
 * of the response it gets, and keep the isolate alive until `done` resolves.
 */
export function invokeInProcess(worker: WorkerIsolate, req: InProcessRequest, opts: { exposeErrors: boolean }): InProcessCall {
  let bodyId: number | null = null;
  if (req.body) bodyId = worker.addHostStream(req.body);
  const inv = worker.fetch({ method: req.method, url: req.url, headers: req.headers, body: bodyId === null ? null : { stream: bodyId }, cf: req.cf });
  chains.set(inv, { depth: req.depth, tree: req.tree });
  let bodyOver!: () => void;
  const over = new Promise<void>((r) => { bodyOver = r; });
  const onAbort = (): void => {
    inv.settle({ kind: 'error', outcome: 'canceled', error: { type: 'Error', message: 'The calling worker canceled the service call.' }, passThrough: false });
  };
  if (req.signal.aborted) onAbort();
  else req.signal.addEventListener('abort', onAbort, { once: true });
  const url = new URL(req.url);
  url.hash = '';

  const response = (async (): Promise<OutboundResponse> => {
    const result = await inv.result;
    if (result.kind === 'error') {
      bodyOver();
      const e = result.error;
      return errorResponse(result.outcome, url.href, opts.exposeErrors ? (e.stack ?? `${e.type}: ${e.message}`) : null);
    }
    const { head } = result;
    const stream = head.body && 'stream' in head.body ? head.body.stream : null;
    // Drops a body nobody will read; the invocation may end once the isolate was told.
    const drop = (reason: string): void => {
      if (stream === null) return bodyOver();
      if (stream < 0) {
        void worker.cancelStream(inv, stream, reason).then(bodyOver);
        return;
      }
      const s = worker.hostStreams.get(stream);
      worker.hostStreams.delete(stream);
      s?.cancel(reason);
      bodyOver();
    };
    const problem = malformed(head);
    if (problem || head.status === 101) {
      drop('not sent');
      if (problem) {
        inv.outcome = 'exception';
        inv.exceptions.push({ type: 'Error', message: `The worker's response could not be sent: ${problem}` });
        return errorResponse('exception', url.href, opts.exposeErrors ? `The worker's response could not be sent: ${problem}` : null);
      }
      throw new OpError('TypeError', 'The service answered with a WebSocket (101), which atoll does not carry over service bindings yet.');
    }
    const out = {
      status: head.status, statusText: head.statusText, headers: head.headers, url: url.href, redirected: false,
      ...(head.encodeBody ? { encodeBody: head.encodeBody } : {}),
    };
    if (head.body === null || isNullBodyStatus(head.status) || req.method === 'HEAD') {
      drop('no body for this response');
      return { head: out, body: null };
    }
    let source: HostStream;
    if ('bytes' in head.body) {
      let bytes: Uint8Array | null = head.body.bytes;
      source = { read: async () => { const b = bytes; bytes = null; return b; }, cancel() { bytes = null; } };
    } else if (head.body.stream > 0) {
      // A host stream the target passed through (its request body, a fetch response).
      source = takeHostStream(worker.hostStreams, head.body.stream);
    } else {
      const id = head.body.stream;
      source = {
        read: () => worker.pull(inv, id),
        // The invocation ends only once the isolate has run the stream's cancel.
        cancel: (reason) => { canceled = worker.cancelStream(inv, id, reason ?? 'canceled'); },
      };
    }
    let canceled: Promise<void> | null = null;
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      if (canceled) void canceled.then(bodyOver);
      else bodyOver();
    };
    return {
      head: out,
      body: {
        async read() {
          if (finished) return null;
          try {
            const chunk = await source.read();
            if (chunk === null) finish();
            else if (!(chunk instanceof Uint8Array)) throw new OpError('TypeError', 'The service\'s response body stream did not return bytes.');
            return chunk;
          } catch (err) {
            if (inv.outcome === 'ok') inv.outcome = worker.dead ?? 'exception';
            finish();
            throw err instanceof OpError ? err : new OpError('TypeError', `Reading the response body of the service failed: ${(err as Error).message}`);
          }
        },
        cancel(reason) {
          if (finished) return;
          source.cancel(reason);
          if (inv.outcome === 'ok') inv.outcome = 'canceled';
          finish();
        },
      },
    };
  })();

  const done = (async (): Promise<Invocation> => {
    // A response that could not be handed over has no body to wait for.
    await response.catch(() => bodyOver());
    await over;
    req.signal.removeEventListener('abort', onAbort);
    inv.bodyDone();
    await inv.finished(worker.def.limits.waitUntilMs);
    await worker.end(inv);
    if (bodyId !== null) {
      // A request body the target never read to the end: the caller's stream is released.
      const s = worker.hostStreams.get(bodyId);
      worker.hostStreams.delete(bodyId);
      s?.cancel('the service did not read the request body');
    }
    return inv;
  })();
  return { response, done };
}
