// /api/v1/workers/:name/secrets: write-only. A value goes in and is never answered,
// listed or logged; listing shows names and times.

import type { Hono } from 'hono';
import { badRequest, notFound } from '../errors.ts';
import { encryptSecret } from '../secrets.ts';
import { requireScope } from '../tokens.ts';
import { readJson } from './body.ts';
import type { ApiDeps, ApiEnv } from './context.ts';
import { workerName } from './workers.ts';

const SECRET_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;
const MAX_SECRET_BYTES = 5 * 1024;

export function mountSecrets(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const { store } = deps;

  const secretName = (raw: string) => {
    if (!SECRET_NAME.test(raw)) throw badRequest('invalid_secret_name', `secret name "${raw.slice(0, 80)}" is not a JavaScript identifier of at most 64 characters; use e.g. API_KEY`);
    return raw;
  };

  app.get('/api/v1/workers/:name/secrets', async (c) => {
    requireScope(c.var.token, 'workers:read');
    const name = workerName(c);
    if (!(await store.getWorker(c.var.token.accountId, name))) throw notFound(`worker "${name}"`, 'list workers with GET /api/v1/workers');
    const secrets = await store.getSecrets(c.var.token.accountId, name);
    return c.json({ secrets: secrets.map((s) => ({ name: s.name, updated_at: new Date(s.updatedAt).toISOString() })) });
  });

  app.put('/api/v1/workers/:name/secrets/:secret', async (c) => {
    requireScope(c.var.token, 'workers:write');
    const worker = workerName(c);
    const name = secretName(c.req.param('secret'));
    const body = await readJson(c);
    if (typeof body.value !== 'string') throw badRequest('invalid_field', '"value" must be a string: send {"value":"..."}');
    if (Buffer.byteLength(body.value) > MAX_SECRET_BYTES) throw badRequest('secret_too_large', `the secret value is over ${MAX_SECRET_BYTES} bytes; keep secrets small and put data in KV`);
    await store.putSecret(encryptSecret(deps.keyring, c.var.token.accountId, worker, name, body.value, deps.now()));
    deps.log({ level: 'info', msg: 'secret set', account: c.var.token.accountId, worker, secret: name });
    return c.json({ name, worker });
  });

  app.delete('/api/v1/workers/:name/secrets/:secret', async (c) => {
    requireScope(c.var.token, 'workers:write');
    const worker = workerName(c);
    const name = secretName(c.req.param('secret'));
    if (!(await store.deleteSecret(c.var.token.accountId, worker, name))) {
      throw notFound(`secret "${name}" of worker "${worker}"`, `list them with GET /api/v1/workers/${worker}/secrets`);
    }
    deps.log({ level: 'info', msg: 'secret deleted', account: c.var.token.accountId, worker, secret: name });
    return c.json({ deleted: name });
  });
}
