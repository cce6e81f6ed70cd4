// The demo a first start deploys through the REST API, as a user would: a worker
// "hello" on the zone `localhost` (every path), so the edge answers something at once.
// A start interrupted halfway finishes the demo on the next one (bootstrap hands out the
// token again), so each step is skipped when already done.

const DEMO_SOURCE = `// The demo worker atoll up deploys on its first start.
export default {
  async fetch(request) {
    const url = new URL(request.url);
    return new Response(
      'Hello from atoll!\\n\\n' +
      'This is the demo worker "hello", answering ' + request.method + ' ' + url.pathname +
      ' at the edge location ' + request.cf.colo + '.\\n' +
      'Deploy your own with the REST API (docs/api.md) and the admin token atoll up printed on its first start.\\n',
      { headers: { 'content-type': 'text/plain; charset=utf-8' } },
    );
  },
};
`;

async function call(apiUrl: string, token: string, method: string, path: string, body: string | FormData, json: boolean): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (json) headers['content-type'] = 'application/json';
  const res = await fetch(apiUrl + path, { method, headers, body, signal: AbortSignal.timeout(30_000) });
  return { status: res.status, body: await res.json() };
}

function check(reply: { status: number; body: any }, step: string, okStatuses: number[]): void {
  if (!okStatuses.includes(reply.status)) {
    throw new Error(`atoll up: deploying the demo failed at "${step}": ${reply.body?.error?.message ?? `status ${reply.status}`}`);
  }
}

export async function deployDemo(apiUrl: string, token: string): Promise<void> {
  const worker = await fetch(`${apiUrl}/api/v1/workers/hello`, { headers: { authorization: `Bearer ${token}` } });
  await worker.body?.cancel();
  if (worker.status === 404) {
    const form = new FormData();
    form.set('metadata', JSON.stringify({ main_module: 'index.js', compatibility_date: '2026-01-01', message: 'demo deployed by atoll up' }));
    form.set('index.js', new Blob([DEMO_SOURCE], { type: 'application/javascript+module' }), 'index.js');
    check(await call(apiUrl, token, 'PUT', '/api/v1/workers/hello', form, false), 'upload worker "hello"', [201]);
  }
  // Every path is routed to the worker, so the origin is reached only by a worker's
  // fetch() to localhost; example.com (reserved for examples) stands in until the user
  // points the zone at their own.
  const zone = await call(apiUrl, token, 'POST', '/api/v1/zones', JSON.stringify({ hostname: 'localhost', origin: 'https://example.com' }), true);
  check(zone, 'create zone "localhost"', [201, 409]);
  check(await call(apiUrl, token, 'POST', '/api/v1/routes', JSON.stringify({ pattern: 'localhost/*', worker: 'hello' }), true), 'route localhost/* to "hello"', [201, 409]);
}
