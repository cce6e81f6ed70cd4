// The REST API as a Hono app: request log, auth, body limits, the resource routes, and
// one error shape for everything, `{ "error": { "code", "message" } }`.

import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { randomBytes } from 'node:crypto';
import { ControlConflictError } from '../../store/control.ts';
import { StoreUnavailableError } from '../../store/unavailable.ts';
import { ApiError, errorBody, tooLarge } from '../errors.ts';
import { JSON_LIMIT, type ApiDeps, type ApiEnv } from './context.ts';
import { mountKv } from './kv.ts';
import { mountLocations } from './locations.ts';
import { mountRollouts } from './rollouts.ts';
import { mountSchedules } from './schedules.ts';
import { mountSecrets } from './secrets.ts';
import { mountSecretsKey } from './secrets-key.ts';
import { mountTokens } from './tokens.ts';
import { mountWorkers } from './workers.ts';
import { mountZones } from './zones.ts';
import { mountObserve } from '../../observe/api.ts';
import { mountDashboardAll, Sessions } from '../../dashboard/mount.ts';

// Routes with bodies larger than JSON's carry their own limits.
const OWN_LIMIT = [/^\/api\/v1\/workers\/[^/]+$/, /^\/api\/v1\/kv\/namespaces\/[^/]+\/(values\/|bulk)/];

export function createControlApp(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();
  // The dashboard's browser sessions: a cookie (with a CSRF header) instead of a bearer token.
  const sessions = new Sessions(deps.store, () => deps.now());

  app.use('*', async (c, next) => {
    const start = performance.now();
    await next();
    // Paths only: bodies (secret values, KV data) are never logged.
    deps.log({
      level: c.res.status >= 500 ? 'error' : 'info', msg: 'api request', method: c.req.method, path: c.req.path,
      status: c.res.status, ms: Math.round((performance.now() - start) * 10) / 10,
      ...(c.var.token ? { account: c.var.token.accountId, token: c.var.token.id } : {}),
    });
  });

  app.use('/api/v1/*', async (c, next) => {
    c.set('token', await sessions.authenticate(c));
    await next();
  });

  const jsonLimit = bodyLimit({
    maxSize: JSON_LIMIT,
    onError: () => { throw tooLarge(`the request body is over ${JSON_LIMIT} bytes; JSON calls take at most that`); },
  });
  app.use('/api/v1/*', async (c, next) => (OWN_LIMIT.some((r) => r.test(c.req.path)) ? next() : jsonLimit(c, next)));

  mountTokens(app, deps);
  mountWorkers(app, deps);
  mountSecrets(app, deps);
  mountSecretsKey(app, deps);
  mountSchedules(app, deps);
  mountKv(app, deps);
  mountZones(app, deps);
  mountLocations(app, deps);
  mountRollouts(app, deps);
  mountObserve(app, deps);
  mountDashboardAll(app, deps, sessions);

  app.notFound((c) => c.json(errorBody('not_found', `no API endpoint ${c.req.method} ${c.req.path}; see docs/api.md for the endpoints`), 404));

  app.onError((err, c) => {
    if (err instanceof ApiError) return c.json(errorBody(err.code, err.message), err.status as 400);
    if (err instanceof StoreUnavailableError) return c.json(errorBody(err.mayHaveWritten ? 'store_outcome_unknown' : 'store_unavailable', err.message), 503);
    if (err instanceof ControlConflictError) {
      return c.json(errorBody('conflict', 'another request changed the same record at the same time; fetch the current state and retry'), 409);
    }
    if (err instanceof HTTPException) return c.json(errorBody('bad_request', err.message || 'the request could not be read'), err.status);
    const reference = randomBytes(6).toString('hex');
    deps.log({ level: 'error', msg: 'internal error in API', reference, method: c.req.method, path: c.req.path, error: err instanceof Error ? err.stack : String(err) });
    return c.json(errorBody('internal_error', `internal error; reference = ${reference} (the server log has the details)`), 500);
  });

  return app;
}
