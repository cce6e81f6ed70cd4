// How an invocation's outcome reaches the host: `respond` with a head, or `fail` with
// the error; `wait_until_done` once every waitUntil promise has settled.

import type { ErrorInfo, ResponseHead } from '../../shared/ops.ts';
import type { OpContext } from './index.ts';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// What node:http accepts in a reason phrase or a header value (anything else throws there).
const FIELD_TEXT = /^[\t\x20-\x7e\x80-\xff]*$/;

// The head comes from the isolate, where tenant code may have subverted the prelude that
// built it (patched WeakMap.prototype.get, say): check every field the server will use.
function malformedHead(head: unknown): string | null {
  if (head === null || typeof head !== 'object') return 'it is not a response head.';
  const h = head as Record<string, unknown>;
  if (!Number.isInteger(h.status) || (h.status !== 0 && ((h.status as number) < 101 || (h.status as number) > 599))) return `its status ${String(h.status)} is not a valid HTTP status.`;
  if (typeof h.statusText !== 'string' || !FIELD_TEXT.test(h.statusText)) return 'its statusText is not a valid reason phrase.';
  if (!Array.isArray(h.headers)) return 'its headers are not a list.';
  for (const pair of h.headers as unknown[]) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string' || !TOKEN.test(pair[0]) || !FIELD_TEXT.test(pair[1])) {
      return 'its headers are not a list of valid [name, value] pairs.';
    }
  }
  const b = h.body;
  if (b !== null && !(typeof b === 'object' && (
    ('bytes' in b && (b as { bytes: unknown }).bytes instanceof Uint8Array) || ('stream' in b && Number.isInteger((b as { stream: unknown }).stream))
  ))) return 'its body is neither bytes nor a stream.';
  if (typeof h.url !== 'string' || typeof h.redirected !== 'boolean') return 'its url or redirected flag is malformed.';
  return null;
}

// An ErrorInfo from the isolate goes into logs and dev response bodies: plain, bounded text.
function errorText(error: unknown): ErrorInfo {
  const e = (error !== null && typeof error === 'object' ? error : {}) as Record<string, unknown>;
  const text = (v: unknown, max: number) => String(v).slice(0, max);
  return {
    type: typeof e.type === 'string' ? text(e.type, 100) : 'Error',
    message: typeof e.message === 'string' ? text(e.message, 16_384) : text(error, 16_384),
    stack: typeof e.stack === 'string' ? text(e.stack, 16_384) : undefined,
  };
}

function invocation(ctx: OpContext, ctxId: unknown) {
  return typeof ctxId === 'number' ? ctx.worker.invocation(ctxId) : null;
}

export const responseOps = {
  respond(ctx: OpContext, ctxId: number, head: ResponseHead, waitUntilDone: boolean): void {
    const inv = invocation(ctx, ctxId);
    if (!inv) return;
    const problem = malformedHead(head);
    if (problem) {
      const error = { type: 'TypeError', message: `The worker's response could not be sent: ${problem}` };
      inv.settle({ kind: 'error', outcome: 'exception', error, passThrough: false });
    } else {
      inv.settle({ kind: 'response', head });
    }
    if (waitUntilDone === true) responseOps.wait_until_done(ctx, ctxId);
  },
  fail(ctx: OpContext, ctxId: number, error: ErrorInfo, passThrough: boolean): void {
    const inv = invocation(ctx, ctxId);
    if (!inv) return;
    inv.settle({ kind: 'error', outcome: 'exception', error: errorText(error), passThrough: passThrough === true });
  },
  wait_until_done(ctx: OpContext, ctxId: number): void {
    const inv = invocation(ctx, ctxId);
    if (!inv) return;
    inv.waitUntilReported = true;
    inv.waitUntilSettled();
  },
};
