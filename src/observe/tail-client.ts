// The client side of a tail, for `atoll tail` and tools: opens
// GET /api/v1/workers/:name/tail, reads the Server-Sent Events as they come, and yields
// each invocation event; a `dropped` notice ends the stream with an error that says why.

import { UserError } from '../runtime/errors.ts';
import type { InvocationEvent } from './event.ts';

export interface TailRequest {
  /** The API's base URL, e.g. http://127.0.0.1:8788. */
  url: string;
  token: string;
  worker: string;
  status?: string[];
  method?: string[];
  search?: string;
  samplingRate?: number;
  signal?: AbortSignal;
  /** Called when the server says the tail is open (its `ready` event). */
  onReady?: (info: Record<string, unknown>) => void;
}

/** The tail URL for a request, filters as query parameters. */
export function tailUrl(req: TailRequest): URL {
  const url = new URL(`${req.url.replace(/\/+$/, '')}/api/v1/workers/${encodeURIComponent(req.worker)}/tail`);
  for (const s of req.status ?? []) url.searchParams.append('status', s);
  for (const m of req.method ?? []) url.searchParams.append('method', m);
  if (req.search !== undefined) url.searchParams.set('search', req.search);
  if (req.samplingRate !== undefined) url.searchParams.set('sampling_rate', String(req.samplingRate));
  return url;
}

async function failure(res: Response): Promise<UserError> {
  const text = await res.text();
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string } };
    return new UserError(error.message, error.code);
  } catch {
    return new UserError(`the tail request answered ${res.status} without an atoll API error: ${text.slice(0, 200)}`, 'tail_failed');
  }
}

/** Yields the tail's events until the server ends it or `signal` aborts. */
export async function* openTail(req: TailRequest): AsyncGenerator<InvocationEvent> {
  const url = tailUrl(req);
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${req.token}`, accept: 'text/event-stream' }, signal: req.signal });
  } catch (err) {
    if (req.signal?.aborted) return;
    throw new UserError(`cannot reach the atoll API at ${req.url} (${(err as Error).message}): check that it is running and that the URL is right`, 'api_unreachable');
  }
  if (!res.ok) throw await failure(res);
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data += line.slice(6);
        }
        if (event === 'invocation') yield JSON.parse(data) as InvocationEvent;
        else if (event === 'ready') req.onReady?.(JSON.parse(data) as Record<string, unknown>);
        else if (event === 'dropped') throw new UserError(`tail closed by the server: ${(JSON.parse(data) as { reason: string }).reason}`, 'tail_dropped');
      }
    }
  } catch (err) {
    if (req.signal?.aborted) return;
    throw err;
  }
}
