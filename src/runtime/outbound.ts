// The default outbound fetch for tenant sub-requests: Node's fetch (undici), with the
// request body streamed from the isolate and the response body streamed back.

import type { RequestInit_ } from '../shared/ops.ts';
import { OpError } from './errors.ts';
import { hostStreamFromWeb, type HostStream } from './host-stream.ts';
import type { OutboundResponse } from './ops/index.ts';

function webStreamFrom(body: HostStream): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async pull(controller) {
      const chunk = await body.read();
      if (chunk === null) controller.close();
      else controller.enqueue(chunk);
    },
    cancel(reason) {
      body.cancel(String(reason));
    },
  });
}

export async function outboundFetch(init: RequestInit_, body: HostStream | null, signal: AbortSignal): Promise<OutboundResponse> {
  let res: Response;
  try {
    res = await fetch(init.url, {
      method: init.method,
      headers: init.headers,
      body: body ? webStreamFrom(body) : undefined,
      redirect: init.redirect,
      signal,
      duplex: 'half',
    } as RequestInit);
  } catch (err) {
    if (signal.aborted) throw new OpError('DOMException:AbortError', 'The operation was aborted.');
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    if (init.redirect === 'error' && /redirect/i.test(String(cause?.message ?? (err as Error).message))) {
      throw new OpError('TypeError', `Fetch to ${init.url} was redirected, and the request's redirect mode is "error".`);
    }
    throw new OpError('TypeError', `Network connection lost while fetching ${init.url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  const headers: [string, string][] = [];
  res.headers.forEach((value, name) => {
    if (name === 'set-cookie') return;
    headers.push([name, value]);
  });
  for (const c of res.headers.getSetCookie()) headers.push(['set-cookie', c]);
  return {
    head: { status: res.status, statusText: res.statusText, headers, url: res.url, redirected: res.redirected },
    body: res.body ? hostStreamFromWeb(res.body) : null,
  };
}
