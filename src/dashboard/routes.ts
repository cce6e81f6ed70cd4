// The dashboard on the control plane's own origin: its page and assets under
// /dashboard/, and its sign-in: POST /dashboard/session trades an API token for a
// session cookie (session.ts), GET tells a reloaded page who it is, DELETE signs out.
// The API itself is the same /api/v1 every client uses; the dashboard calls it with
// the cookie and its CSRF header instead of a bearer token.

import type { Hono } from 'hono';
import { ApiError, badRequest } from '../control/errors.ts';
import { readJson } from '../control/api/body.ts';
import type { ApiDeps, ApiEnv } from '../control/api/context.ts';
import { tokenJson } from '../control/api/views.ts';
import type { TokenRecord } from '../store/control.ts';
import { DashboardAssets } from './assets.ts';
import { overTls, sameOrigin, Sessions } from './session.ts';

// The page loads only its own files; CodeMirror sets styles from script, hence inline styles.
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

export function mountDashboard(app: Hono<ApiEnv>, deps: ApiDeps, sessions: Sessions, assets = new DashboardAssets()): void {
  const who = async (record: TokenRecord, csrf: string) => {
    const account = await deps.store.getAccount(record.accountId);
    return { csrf, token: tokenJson(record), account: account && { id: account.id, name: account.name, operator: account.operator } };
  };

  const serve = async (path: string) => {
    const asset = await assets.get(path);
    if (!asset) return new Response('not found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    return new Response(asset.body, { headers: { 'content-type': asset.type, 'cache-control': asset.cache, ...PAGE_HEADERS } });
  };

  app.get('/', (c) => c.redirect('/dashboard/', 302));
  app.get('/dashboard', (c) => c.redirect('/dashboard/', 302));
  app.get('/dashboard/', () => serve('index.html'));
  app.get('/dashboard/assets/:file', (c) => serve(`assets/${c.req.param('file')}`));

  app.post('/dashboard/session', async (c) => {
    // A cross-site form cannot send JSON without a preflight, so a page elsewhere cannot
    // sign a browser in to an account of its choosing.
    if (!/^application\/json\s*(;|$)/i.test(c.req.header('content-type') ?? '')) {
      throw badRequest('invalid_json', 'sign in with a JSON body {"token":"atoll_..."} and content-type application/json');
    }
    if (!sameOrigin(c)) {
      throw new ApiError(403, 'forbidden', `sign-in from ${c.req.header('origin')!.slice(0, 100)} is refused; sign in on the dashboard's own page`);
    }
    const body = await readJson(c);
    if (typeof body.token !== 'string' || body.token.trim() === '') {
      throw badRequest('invalid_field', '"token" must be an API token (atoll_...): the one atoll up printed, or one made with POST /api/v1/tokens');
    }
    const opened = await sessions.open(body.token.trim(), overTls(c));
    c.header('set-cookie', opened.cookie);
    c.header('cache-control', 'no-store');
    deps.log({ level: 'info', msg: 'dashboard sign-in', account: opened.record.accountId, token: opened.record.id });
    return c.json(await who(opened.record, opened.csrf), 201);
  });

  app.get('/dashboard/session', async (c) => {
    const { record, csrf } = await sessions.current(c);
    c.header('cache-control', 'no-store');
    return c.json(await who(record, csrf));
  });

  app.delete('/dashboard/session', (c) => {
    const closed = sessions.close(c);
    c.header('set-cookie', Sessions.clearCookie(overTls(c)));
    return c.json({ signed_out: closed });
  });
}
