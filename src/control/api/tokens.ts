// /api/v1/whoami, /api/v1/tokens and /api/v1/accounts. Tokens are managed with an admin
// token of the same account; only the operator's account creates accounts.

import type { Hono } from 'hono';
import type { Account } from '../../store/control.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import { issueToken, parseScopes, requireScope } from '../tokens.ts';
import { optionalString, readJson } from './body.ts';
import type { ApiDeps, ApiEnv } from './context.ts';
import { accountJson, tokenJson } from './views.ts';

function parseExpiry(body: Record<string, unknown>, now: number): number | null {
  const at = body.expires_at;
  if (at === undefined || at === null) return null;
  const ms = typeof at === 'string' ? Date.parse(at) : NaN;
  if (Number.isNaN(ms)) throw badRequest('invalid_field', '"expires_at" must be an ISO 8601 time string, e.g. "2027-01-01T00:00:00Z"');
  if (ms <= now) throw badRequest('invalid_field', '"expires_at" is in the past; give a future time or leave it out for no expiry');
  return ms;
}

export function mountTokens(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const { store } = deps;

  app.get('/api/v1/whoami', async (c) => {
    const account = await store.getAccount(c.var.token.accountId);
    return c.json({ account: account && accountJson(account), token: tokenJson(c.var.token) });
  });

  app.get('/api/v1/tokens', async (c) => {
    requireScope(c.var.token, 'admin');
    return c.json({ tokens: (await store.listTokens(c.var.token.accountId)).map(tokenJson) });
  });

  app.post('/api/v1/tokens', async (c) => {
    requireScope(c.var.token, 'admin');
    const body = await readJson(c);
    const name = optionalString(body, 'name', 200);
    if (!name) throw badRequest('invalid_field', '"name" is required: say what the token is for, e.g. "ci deploys"');
    const issued = await issueToken(store, {
      accountId: c.var.token.accountId, name, scopes: parseScopes(body.scopes), expiresAt: parseExpiry(body, deps.now()),
    }, deps.now());
    deps.log({ level: 'info', msg: 'token created', account: c.var.token.accountId, token: issued.record.id, scopes: issued.record.scopes });
    return c.json({ token: issued.token, record: tokenJson(issued.record) }, 201);
  });

  app.delete('/api/v1/tokens/:id', async (c) => {
    requireScope(c.var.token, 'admin');
    const id = c.req.param('id');
    if (!(await store.revokeToken(c.var.token.accountId, id, deps.now()))) {
      throw notFound(`token "${id.slice(0, 80)}"`, 'list tokens with GET /api/v1/tokens');
    }
    deps.log({ level: 'info', msg: 'token revoked', account: c.var.token.accountId, token: id });
    return c.json({ revoked: id });
  });

  app.post('/api/v1/accounts', async (c) => {
    requireScope(c.var.token, 'admin');
    const caller = await store.getAccount(c.var.token.accountId);
    if (!caller?.operator) throw new ApiError(403, 'forbidden', 'only an admin token of the operator account (the one atoll up created) can create accounts');
    const body = await readJson(c);
    const name = optionalString(body, 'name', 200);
    if (!name) throw badRequest('invalid_field', '"name" is required, e.g. {"name":"team-a"}');
    const account: Account = { id: newId('acc'), name, operator: false, createdAt: deps.now() };
    await store.createAccount(account);
    const issued = await issueToken(store, { accountId: account.id, name: 'account admin', scopes: ['admin'], expiresAt: null }, deps.now());
    deps.log({ level: 'info', msg: 'account created', account: account.id, by: c.var.token.id });
    return c.json({ account: accountJson(account), token: issued.token }, 201);
  });
}
