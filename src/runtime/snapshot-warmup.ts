// Run once when the prelude snapshot is made, in a throwaway context: V8 keeps the code
// it compiled here in the snapshot and drops everything else, so the first request in a
// new isolate does not pay to compile the prelude's hot paths lazily (and that CPU is
// not charged to the tenant). It must not touch the bridge: there is none yet.
export const SNAPSHOT_WARMUP = `(() => {
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
})();`;
