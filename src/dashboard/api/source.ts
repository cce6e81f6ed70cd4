// GET /api/v1/workers/:name/versions/:id/source (workers:read): a version's modules
// with their contents, for the dashboard's editor and its diff between versions. Text
// modules come as text; data and wasm modules as base64.

import type { Hono } from 'hono';
import { notFound } from '../../control/errors.ts';
import { requireScope } from '../../control/tokens.ts';
import type { ApiDeps, ApiEnv } from '../../control/api/context.ts';
import { workerName } from '../../control/api/workers.ts';

const BINARY = new Set(['data', 'wasm']);

export function mountSource(app: Hono<ApiEnv>, deps: ApiDeps): void {
  app.get('/api/v1/workers/:name/versions/:id/source', async (c) => {
    requireScope(c.var.token, 'workers:read');
    const name = workerName(c);
    const id = c.req.param('id');
    const version = await deps.store.getVersion(c.var.token.accountId, name, id);
    if (!version) throw notFound(`version "${id.slice(0, 80)}" of worker "${name}"`, `list them with GET /api/v1/workers/${name}/versions`);
    const modules = (await deps.store.getModules(version.hash)).map((m) => (BINARY.has(m.type)
      ? { name: m.name, type: m.type, content_base64: Buffer.from(m.content).toString('base64') }
      : { name: m.name, type: m.type, content: Buffer.from(m.content).toString('utf8') }));
    c.header('cache-control', 'private, no-store');
    return c.json({ version_id: version.id, main_module: version.mainModule, format: version.format, modules });
  });
}
