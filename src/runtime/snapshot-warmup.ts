// Run once when the prelude snapshot is made, in a throwaway context: V8 keeps the code
// it compiled here in the snapshot and drops everything else, so the first request in a
// new isolate does not pay to compile the prelude's hot paths lazily (and that CPU is
// not charged to the tenant). It must not touch the bridge: there is none yet.
/**
 * The request path itself: boot with a bridge that answers nothing, then a fetch task
 * through a module worker as the host sends one, and its end. The first request in a
 * fresh isolate used to compile this path (about 1.5 ms of every cold start, charged to
 * the tenant). The warm-up context has no WebAssembly and no SharedArrayBuffer.
 */
export const REQUEST_PATH_WARMUP = `
    const noop = () => undefined;
    const self = Object.create({ get cpuTime() { return 0n; } });
    const api = globalThis.__atoll_boot(noop, noop, noop, { format: 'modules', bindings: [], compatibilityDate: '2025-01-01', compatibilityFlags: [], dev: false, memoryMb: 128 }, self, new ArrayBuffer(8 * 10));
    api.setModule({ default: { fetch(request, env, ctx) { ctx.waitUntil(Promise.resolve()); return new Response('warm ' + request.url, { headers: { 'content-type': 'text/plain' } }); } } });
    const request = { method: 'GET', url: 'https://example.com/warm?x=1', urlChecked: true, headers: [['host', 'example.com'], ['accept', '*/*'], ['user-agent', 'warm']], body: null, cf: { colo: 'WARM', country: 'XX' } };
    const errors = [api.task({ kind: 'fetch', ctxId: 1, request }, 0), api.task({ kind: 'end', ctxId: 1 }, 0)].filter((e) => e !== null);
    if (errors.length > 0) throw new Error('request path warm-up: ' + JSON.stringify(errors));
`;

/**
 * The Web APIs' common paths. Run by the snapshot warm-up, and again in each spare
 * isolate's own context while it waits (isolate-pool.ts): the snapshot keeps compiled
 * code, but a new context still pays for its first calls (a first `new Headers` took
 * 0.39 ms in a fresh context, 0.08 ms after this ran there). It must not touch the
 * bridge (there is none yet) nor leave anything a tenant could see.
 */
export const API_WARMUP = `
  const headers = new Headers({ 'content-type': 'text/plain', 'x-a': '1' });
  headers.set('x-b', '2'); headers.append('set-cookie', 'a=1'); headers.get('x-a'); headers.has('x-c');
  for (const _ of headers) {}
  headers.getSetCookie();
  const url = new URL('https://example.com/a/b?c=d#e');
  url.searchParams.get('c'); url.pathname; url.href; new URL('/x', url).toString();
  const request = new Request('https://example.com/path?q=1', { method: 'POST', headers, body: 'body' });
  request.method; request.url; request.headers.get('x-a'); request.clone();
  const response = new Response('hello', { status: 200, headers });
  response.status; response.ok; response.headers.get('content-type'); response.clone();
  Response.json({ a: [1, 2, 3] }); Response.redirect('https://example.com/', 302);
  new Response(new Uint8Array([1, 2, 3]));
  new TextEncoder().encode('héllo wörld'); new TextDecoder().decode(new Uint8Array([104, 105]));
  new ReadableStream({ start(c) { c.enqueue(new Uint8Array(1)); c.close(); } }).getReader().read();
  new AbortController().abort();
  structuredClone({ a: [1, { b: 'c' }] });
  btoa('hello'); atob('aGVsbG8=');
  JSON.parse(JSON.stringify({ a: 1 }));
`;

/** Context warm-up for spare isolates (the API part alone: the request path needs a boot). */
export const CONTEXT_WARMUP = `(() => {${API_WARMUP}})();`;

export const SNAPSHOT_WARMUP = `(() => {
  ${API_WARMUP}
  try {
    ${REQUEST_PATH_WARMUP}
  } catch {
    // A warm-up that fails only leaves the path to be compiled on first use
    // (test/runtime/snapshot-warmup.test.ts makes sure it does not).
  }
})();`
