// The checks shared by examples/hono-app and examples/itty-router-app, which serve the
// same notes API on two frameworks: routing, middleware (CORS, request id, bearer auth on
// writes, logging), KV storage, JSON errors and bad input.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runExample, type RunningExample } from './harness.ts';

const TOKEN = 'secret-token-for-writes';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function notesApiSuite(example: string): void {
  describe(`examples/${example}`, () => {
    let ex: RunningExample;
    const write = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    before(async () => {
      ex = await runExample(example, {
        vars: { API_TOKEN: TOKEN },
        kv: { NOTES: { 'note:seeded': JSON.stringify({ id: 'seeded', title: 'Seeded', body: 'from KV', created: '2026-01-01T00:00:00.000Z' }) } },
      });
    });
    after(async () => { await ex?.close(); });

    const post = (body: unknown, headers: Record<string, string> = write) =>
      ex.fetch('/api/notes', { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

    it('GET /api/health: 200 JSON, with a request id and CORS headers', async () => {
      const res = await ex.fetch('/api/health', { headers: { origin: 'https://app.example' } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.match(res.headers.get('x-request-id') ?? '', UUID);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.deepEqual(await res.json(), { ok: true });
    });

    it('POST /api/notes with the token: 201, Location, the note; then GET finds it, and the list has it', async () => {
      const res = await post({ title: '  Walk Rex at 5  ', body: 'Avoid the park: Fido is there.' });
      assert.equal(res.status, 201);
      const note = await res.json() as Record<string, string>;
      assert.match(note.id, UUID);
      assert.equal(note.title, 'Walk Rex at 5');
      assert.equal(note.body, 'Avoid the park: Fido is there.');
      assert.ok(!Number.isNaN(Date.parse(note.created)));
      assert.equal(res.headers.get('location'), `/api/notes/${note.id}`);

      const got = await ex.fetch(`/api/notes/${note.id}`);
      assert.equal(got.status, 200);
      assert.deepEqual(await got.json(), note);

      const list = await (await ex.fetch('/api/notes')).json() as { notes: { id: string; title: string }[] };
      assert.deepEqual(list.notes.map((n) => n.id).sort(), [note.id, 'seeded'].sort());
      assert.equal(list.notes.find((n) => n.id === note.id)?.title, 'Walk Rex at 5');
    });

    it('DELETE /api/notes/:id with the token: 204, then 404; a second DELETE: 404', async () => {
      const note = await (await post({ title: 'short-lived' })).json() as { id: string };
      const del = await ex.fetch(`/api/notes/${note.id}`, { method: 'DELETE', headers: write });
      assert.equal(del.status, 204);
      assert.equal(await del.text(), '');
      const gone = await ex.fetch(`/api/notes/${note.id}`);
      assert.equal(gone.status, 404);
      assert.equal((await gone.json() as { error: string }).error, 'No such note');
      assert.equal((await ex.fetch(`/api/notes/${note.id}`, { method: 'DELETE', headers: write })).status, 404);
    });

    it('writes without the token or with a wrong one: 401 with WWW-Authenticate, and nothing stored', async () => {
      const before = (await (await ex.fetch('/api/notes')).json() as { notes: unknown[] }).notes.length;
      for (const headers of [{ 'content-type': 'application/json' }, { ...write, authorization: 'Bearer wrong' }]) {
        const res = await post({ title: 'sneaky' }, headers);
        assert.equal(res.status, 401);
        assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
        await res.arrayBuffer();
      }
      const del = await ex.fetch('/api/notes/seeded', { method: 'DELETE' });
      assert.equal(del.status, 401);
      await del.arrayBuffer();
      const after = (await (await ex.fetch('/api/notes')).json() as { notes: unknown[] }).notes.length;
      assert.equal(after, before);
      assert.equal((await ex.fetch('/api/notes/seeded')).status, 200);
    });

    it('POST /api/notes with bad input: 400 with a JSON error saying what to send', async () => {
      for (const body of ['not json', '{}', JSON.stringify({ title: '' }), JSON.stringify({ title: 5 }), JSON.stringify({ title: 'x'.repeat(201) }), JSON.stringify({ title: 'ok', body: 42 })]) {
        const res = await post(body);
        assert.equal(res.status, 400, body);
        assert.match((await res.json() as { error: string }).error, /title/);
      }
    });

    it('unknown routes and ids: 404 JSON', async () => {
      for (const path of ['/api/nope', '/', '/api/notes/does-not-exist']) {
        const res = await ex.fetch(path);
        assert.equal(res.status, 404, path);
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
        assert.equal(typeof (await res.json() as { error: unknown }).error, 'string');
      }
    });

    it('OPTIONS preflight from a browser: allowed origin, methods and the Authorization header', async () => {
      const res = await ex.fetch('/api/notes', {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
      assert.ok(res.status === 204 || res.status === 200, `status ${res.status}`);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      // "*" allows every method for a request without credentials (Fetch standard, CORS protocol).
      assert.match(res.headers.get('access-control-allow-methods') ?? '', /POST|^\*$/);
      assert.match(res.headers.get('access-control-allow-headers') ?? '', /authorization/i);
      assert.equal(res.headers.get('access-control-max-age'), '600');
      await res.arrayBuffer();
    });

    it('every request is logged by the logging middleware', async () => {
      await (await ex.fetch('/api/health')).arrayBuffer();
      const until = Date.now() + 10_000;
      const logged = () => ex.logs.some((l) => l.event === 'console' && /GET \/api\/health/.test(l.message));
      while (!logged() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      assert.ok(logged(), JSON.stringify(ex.logs.filter((l) => l.event === 'console')));
    });
  });
}
