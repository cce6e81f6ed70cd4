// The same notes API as examples/hono-app, on itty-router, the way its docs write a
// Workers API: an AutoRouter (JSON responses, 404s and errors handled), `before` and
// `finally` stages for middleware, handlers that return plain objects, and the router
// as the default export. Notes live in KV; writes need the API_TOKEN secret.
import { AutoRouter, cors, error, json, status } from 'itty-router';

const { preflight, corsify } = cors({
  origin: '*',
  allowHeaders: ['Authorization', 'Content-Type'],
  exposeHeaders: ['X-Request-Id', 'Location'],
  maxAge: 600,
});

// Middleware: returning nothing lets the request go on; returning a response ends it.
const withRequestId = (request) => {
  request.id = crypto.randomUUID();
};

const withAuth = (request, env) => {
  const auth = request.headers.get('authorization') ?? '';
  if (!env.API_TOKEN || auth !== `Bearer ${env.API_TOKEN}`) {
    const res = error(401, 'Unauthorized');
    res.headers.set('www-authenticate', 'Bearer realm="notes"');
    return res;
  }
};

const withLogging = (response, request) => {
  console.log(`${request.method} ${new URL(request.url).pathname} ${response.status}`);
};

const addRequestId = (response, request) => {
  // Some responses (the CORS preflight, error()) come with immutable headers.
  const res = new Response(response.body, response);
  res.headers.set('x-request-id', request.id);
  return res;
};

const router = AutoRouter({
  before: [preflight, withRequestId],
  catch: (err) => {
    console.error(err.stack ?? String(err));
    return error(500, 'Internal error');
  },
  finally: [withLogging, corsify, addRequestId],
});

router.get('/api/health', () => ({ ok: true }));

router.get('/api/notes', async (request, env) => {
  const { keys } = await env.NOTES.list({ prefix: 'note:' });
  // The title rides along as the key's metadata, so one list call shows them all; a
  // note written without it (by hand, with atoll kv key put) is read to find its title.
  const notes = await Promise.all(keys.map(async (k) => ({
    id: k.name.slice('note:'.length),
    title: k.metadata?.title ?? (await env.NOTES.get(k.name, 'json'))?.title ?? '',
  })));
  return { notes };
});

router.get('/api/notes/:id', async ({ params }, env) =>
  (await env.NOTES.get(`note:${params.id}`, 'json')) ?? error(404, 'No such note'));

router.post('/api/notes', withAuth, async (request, env) => {
  const input = await request.json().catch(() => null);
  const title = input?.title;
  const body = input?.body ?? '';
  if (typeof title !== 'string' || title.trim() === '' || title.length > 200 || typeof body !== 'string' || body.length > 10_000) {
    return error(400, 'Send JSON {"title": 1-200 characters, "body": up to 10,000}');
  }
  const note = { id: crypto.randomUUID(), title: title.trim(), body, created: new Date().toISOString() };
  await env.NOTES.put(`note:${note.id}`, JSON.stringify(note), { metadata: { title: note.title } });
  return json(note, { status: 201, headers: { location: `/api/notes/${note.id}` } });
});

router.delete('/api/notes/:id', withAuth, async ({ params }, env) => {
  const key = `note:${params.id}`;
  if ((await env.NOTES.get(key, 'json')) === null) return error(404, 'No such note');
  await env.NOTES.delete(key);
  return status(204);
});

export default router;
