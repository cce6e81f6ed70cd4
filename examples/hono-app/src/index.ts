// A small notes API on Hono, written the way Hono's docs write apps for Cloudflare
// Workers: a typed app, middleware with app.use, routes, notFound and onError, and the
// app itself as the default export. Notes live in KV; reads are public, writes need the
// API_TOKEN secret as a bearer token.
import { Hono } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { logger } from 'hono/logger';
import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';

// The parts of a KV binding this app uses (with @cloudflare/workers-types installed,
// use its KVNamespace instead).
interface KV {
  get(key: string, type: 'json'): Promise<unknown>;
  put(key: string, value: string, options?: { metadata?: unknown }): Promise<void>;
  delete(key: string): Promise<void>;
  list(options?: { prefix?: string }): Promise<{ keys: { name: string; metadata?: unknown }[] }>;
}

type Bindings = { NOTES: KV; API_TOKEN: string };
interface Note { id: string; title: string; body: string; created: string }

const app = new Hono<{ Bindings: Bindings }>();

app.use(logger());
app.use(requestId());
app.use(secureHeaders());
app.use('/api/*', cors({ origin: '*', allowHeaders: ['Authorization', 'Content-Type'], exposeHeaders: ['X-Request-Id', 'Location'], maxAge: 600 }));
// Writes need the token; the secret is only known per request, from c.env.
app.on(['POST', 'PUT', 'PATCH', 'DELETE'], '/api/*', (c, next) => bearerAuth({ token: c.env.API_TOKEN })(c, next));

app.get('/api/health', (c) => c.json({ ok: true }));

app.get('/api/notes', async (c) => {
  const { keys } = await c.env.NOTES.list({ prefix: 'note:' });
  // The title rides along as the key's metadata, so one list call shows them all; a
  // note written without it (by hand, with atoll kv key put) is read to find its title.
  const notes = await Promise.all(keys.map(async (k) => ({
    id: k.name.slice('note:'.length),
    title: (k.metadata as { title?: string } | undefined)?.title ?? ((await c.env.NOTES.get(k.name, 'json')) as Note | null)?.title ?? '',
  })));
  return c.json({ notes });
});

app.get('/api/notes/:id', async (c) => {
  const note = await c.env.NOTES.get(`note:${c.req.param('id')}`, 'json');
  if (note === null) return c.json({ error: 'No such note' }, 404);
  return c.json(note as Note);
});

app.post('/api/notes', async (c) => {
  const input = await c.req.json().catch(() => null);
  const title = input?.title;
  const body = input?.body ?? '';
  if (typeof title !== 'string' || title.trim() === '' || title.length > 200 || typeof body !== 'string' || body.length > 10_000) {
    return c.json({ error: 'Send JSON {"title": 1-200 characters, "body": up to 10,000}' }, 400);
  }
  const note: Note = { id: crypto.randomUUID(), title: title.trim(), body, created: new Date().toISOString() };
  await c.env.NOTES.put(`note:${note.id}`, JSON.stringify(note), { metadata: { title: note.title } });
  c.header('Location', `/api/notes/${note.id}`);
  return c.json(note, 201);
});

app.delete('/api/notes/:id', async (c) => {
  const key = `note:${c.req.param('id')}`;
  if ((await c.env.NOTES.get(key, 'json')) === null) return c.json({ error: 'No such note' }, 404);
  await c.env.NOTES.delete(key);
  return c.body(null, 204);
});

app.notFound((c) => c.json({ error: `No route for ${c.req.method} ${c.req.path}` }, 404));

app.onError((err, c) => {
  // bearerAuth and friends throw an HTTPException carrying the response to send.
  if (err instanceof HTTPException) return err.getResponse();
  console.error(`${c.req.method} ${c.req.path}: ${err.stack ?? err}`);
  return c.json({ error: 'Internal error' }, 500);
});

export default app;
