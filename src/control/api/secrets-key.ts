// /api/v1/secrets-key: the key that encrypts every secret at rest, for the operator only
// (an admin token of the operator account): see which keys exist and how many secrets
// each still encrypts, rotate to a new key, drop a retired one.

import type { Hono } from 'hono';
import { ApiError, badRequest, conflict } from '../errors.ts';
import { dropKey, rotateSecrets, secretsByKey } from '../secrets.ts';
import { requireScope } from '../tokens.ts';
import type { ApiContext, ApiDeps, ApiEnv } from './context.ts';

const KEY_ID = /^[0-9a-f]{16}$/;

export function mountSecretsKey(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const { store, keyring } = deps;

  const requireOperator = async (c: ApiContext) => {
    requireScope(c.var.token, 'admin');
    const account = await store.getAccount(c.var.token.accountId);
    if (!account?.operator) throw new ApiError(403, 'forbidden', 'only an admin token of the operator account (the one atoll up created) manages the secrets key');
  };

  const status = async () => {
    const counts = await secretsByKey(store, keyring);
    return {
      current: keyring.currentId,
      source: keyring.file ? 'file' : 'environment',
      keys: [...counts].map(([id, secrets]) => ({ id, current: id === keyring.currentId, in_keyring: keyring.keys.has(id), secrets })),
    };
  };

  app.get('/api/v1/secrets-key', async (c) => {
    await requireOperator(c);
    return c.json(await status());
  });

  app.post('/api/v1/secrets-key/rotate', async (c) => {
    await requireOperator(c);
    const previous = keyring.currentId;
    const reencrypted = await rotateSecrets(store, keyring);
    deps.log({ level: 'info', msg: 'secrets key rotated', previous, current: keyring.currentId, reencrypted, by: c.var.token.id });
    return c.json({ ...(await status()), reencrypted });
  });

  app.delete('/api/v1/secrets-key/keys/:id', async (c) => {
    await requireOperator(c);
    const id = c.req.param('id');
    if (!KEY_ID.test(id)) throw badRequest('invalid_key_id', `"${id.slice(0, 80)}" is not a key id (16 hex digits); list them with GET /api/v1/secrets-key`);
    if (!keyring.file) throw badRequest('keys_from_environment', 'the secrets keys come from ATOLL_SECRETS_KEY; remove the key there and restart');
    if (!keyring.keys.has(id)) throw new ApiError(404, 'not_found', `the keyring has no key "${id}"; list them with GET /api/v1/secrets-key`);
    try {
      await dropKey(store, keyring, id);
    } catch (err) {
      throw conflict('key_in_use', (err as Error).message);
    }
    deps.log({ level: 'info', msg: 'secrets key dropped', key: id, by: c.var.token.id });
    return c.json({ dropped: id });
  });
}
