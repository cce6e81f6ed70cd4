// The dashboard's draft endpoints (workers:write), JSON within the API's 1 MiB limit:
//   POST /api/v1/workers/:name/preview  runs an unsaved draft once in a throwaway isolate
//                                       and answers with its response and console output
//                                       (preview.ts); the worker need not exist yet
//   POST /api/v1/compile                TypeScript modules to JavaScript, for an upload
// Nothing is stored by either.

import type { Hono } from 'hono';
import { requireScope } from '../../control/tokens.ts';
import { readJson } from '../../control/api/body.ts';
import type { ApiDeps, ApiEnv } from '../../control/api/context.ts';
import { workerName } from '../../control/api/workers.ts';
import { badRequest } from '../../control/errors.ts';
import { compileTypeScript, isTypeScript, runPreview } from '../preview.ts';

export function mountPreview(app: Hono<ApiEnv>, deps: ApiDeps): void {
  app.post('/api/v1/workers/:name/preview', async (c) => {
    requireScope(c.var.token, 'workers:write');
    const name = workerName(c);
    const result = await runPreview(deps, c.var.token.accountId, name, await readJson(c));
    deps.log({ level: 'info', msg: 'preview ran', account: c.var.token.accountId, worker: name, outcome: result.outcome, cpu_ms: result.cpu_ms });
    return c.json(result);
  });

  app.post('/api/v1/compile', async (c) => {
    requireScope(c.var.token, 'workers:write');
    const body = await readJson(c);
    if (!Array.isArray(body.modules)) throw badRequest('invalid_field', '"modules" must be a list of {"name":"index.ts","content":"..."}');
    const modules = [];
    for (const m of body.modules as unknown[]) {
      const { name, content } = (m ?? {}) as { name?: unknown; content?: unknown };
      if (typeof name !== 'string' || typeof content !== 'string') throw badRequest('invalid_module', 'each entry of "modules" must be {"name": string, "content": string}');
      if (!isTypeScript(name)) throw badRequest('invalid_module', `module "${name.slice(0, 100)}" is not TypeScript (.ts or .mts); send only those`);
      modules.push({ name, type: 'esm', content: await compileTypeScript(name, content) });
    }
    return c.json({ modules });
  });
}
