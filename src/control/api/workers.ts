// /api/v1/workers: upload (each upload an immutable version), list, get, delete,
// versions, deployments and rollback.

import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Version } from '../../store/control.ts';
import { checkDeployable } from '../deploy-checks.ts';
import { processTelemetry } from '../../observe/telemetry.ts';
import { checkSplitsDeployable, newDeployment, parseSplits, rollbackTarget } from '../deployments.ts';
import { badRequest, conflict, notFound, tooLarge } from '../errors.ts';
import { newId } from '../ids.ts';
import { requireScope } from '../tokens.ts';
import { readUpload } from '../upload.ts';
import { optionalString, readForm, readJson } from './body.ts';
import { MiB, type ApiContext, type ApiDeps, type ApiEnv } from './context.ts';
import { deploymentJson, versionJson, workerJson } from './views.ts';

const WORKER_NAME = /^[a-z0-9](?:[a-z0-9_-]{0,62})$/;

export function workerName(c: ApiContext): string {
  const name = c.req.param('name') ?? '';
  if (!WORKER_NAME.test(name)) {
    throw badRequest('invalid_worker_name', `worker name "${name.slice(0, 80)}" is not valid; use 1 to 63 lower-case letters, digits, "-" or "_", starting with a letter or digit`);
  }
  return name;
}

export function mountWorkers(app: Hono<ApiEnv>, deps: ApiDeps): void {
  const { store } = deps;

  const existing = async (c: ApiContext) => {
    const name = workerName(c);
    const worker = await store.getWorker(c.var.token.accountId, name);
    if (!worker) throw notFound(`worker "${name}"`, 'list workers with GET /api/v1/workers');
    return worker;
  };

  app.get('/api/v1/workers', async (c) => {
    requireScope(c.var.token, 'workers:read');
    const workers = await store.listWorkers(c.var.token.accountId);
    return c.json({ workers: workers.map(workerJson) });
  });

  const uploadLimit = bodyLimit({
    maxSize: deps.bundleLimit + MiB,
    onError: () => { throw tooLarge(`the upload is over the bundle limit of ${deps.bundleLimit} bytes; make the bundle smaller`); },
  });

  app.put('/api/v1/workers/:name', uploadLimit, async (c) => {
    requireScope(c.var.token, 'workers:write');
    const name = workerName(c);
    const accountId = c.var.token.accountId;
    const deploy = c.req.query('deploy') !== 'false';
    const upload = await readUpload(await readForm(c), deps.bundleLimit, deps.now());
    await checkDeployable(store, accountId, name, upload.meta, upload.modules);
    const now = deps.now();
    const m = upload.meta;
    const version: Version = {
      id: newId('ver'), accountId, worker: name, hash: upload.hash, format: m.format, mainModule: m.mainModule,
      compatibilityDate: m.compatibilityDate, compatibilityFlags: m.compatibilityFlags, bindings: m.bindings, limits: m.limits,
      message: m.message, authorTokenId: c.var.token.id, createdAt: now, size: upload.size,
    };
    const deployment = deploy ? newDeployment(accountId, name, [{ versionId: version.id, percentage: 100 }], m.message, c.var.token.id, now) : null;
    await store.createVersion({ version, modules: upload.modules, deployment });
    deps.log({ level: 'info', msg: 'version uploaded', account: accountId, worker: name, version: version.id, hash: version.hash, bytes: version.size, deployed: deploy });
    return c.json({ version: versionJson(version), deployment: deployment && deploymentJson(deployment) }, 201);
  });

  app.get('/api/v1/workers/:name', async (c) => {
    requireScope(c.var.token, 'workers:read');
    const worker = await existing(c);
    const deployment = await store.getDeployment(worker.accountId, worker.name);
    return c.json({ worker: workerJson(worker), deployment: deployment && deploymentJson(deployment) });
  });

  app.delete('/api/v1/workers/:name', async (c) => {
    requireScope(c.var.token, 'workers:write');
    const worker = await existing(c);
    // A worker other deployed workers call as a service would leave them calling nothing.
    for (const d of await store.listCurrentDeployments(worker.accountId)) {
      if (d.worker === worker.name) continue;
      for (const split of d.versions) {
        const v = await store.getVersion(worker.accountId, d.worker, split.versionId);
        const b = v?.bindings.find((x) => x.type === 'service' && x.service === worker.name);
        if (b) throw conflict('worker_in_use', `worker "${worker.name}" is bound as service "${b.name}" by the deployed worker "${d.worker}"; deploy that one without the binding first`);
      }
    }
    await store.deleteWorker(worker.accountId, worker.name);
    processTelemetry.metrics.forget(worker.accountId, worker.name);
    deps.log({ level: 'info', msg: 'worker deleted', account: worker.accountId, worker: worker.name });
    return c.json({ deleted: worker.name });
  });

  app.get('/api/v1/workers/:name/versions', async (c) => {
    requireScope(c.var.token, 'workers:read');
    const worker = await existing(c);
    return c.json({ versions: (await store.listVersions(worker.accountId, worker.name)).map(versionJson) });
  });

  app.get('/api/v1/workers/:name/versions/:id', async (c) => {
    requireScope(c.var.token, 'workers:read');
    const worker = await existing(c);
    const version = await store.getVersion(worker.accountId, worker.name, c.req.param('id'));
    if (!version) throw notFound(`version "${c.req.param('id').slice(0, 80)}" of worker "${worker.name}"`, `list them with GET /api/v1/workers/${worker.name}/versions`);
    const modules = (await store.getModules(version.hash)).map((m) => ({ name: m.name, type: m.type, size: m.content.byteLength }));
    return c.json({ version: { ...versionJson(version), modules } });
  });

  app.get('/api/v1/workers/:name/deployments', async (c) => {
    requireScope(c.var.token, 'workers:read');
    const worker = await existing(c);
    return c.json({ deployments: (await store.listDeployments(worker.accountId, worker.name)).map(deploymentJson) });
  });

  app.post('/api/v1/workers/:name/deployments', async (c) => {
    requireScope(c.var.token, 'workers:write');
    const worker = await existing(c);
    const body = await readJson(c);
    const versions = await parseSplits(store, worker.accountId, worker.name, body.versions);
    await checkSplitsDeployable(store, worker.accountId, worker.name, versions);
    const deployment = newDeployment(worker.accountId, worker.name, versions, optionalString(body, 'message', 1000) ?? '', c.var.token.id, deps.now());
    await store.createDeployment(deployment);
    deps.log({ level: 'info', msg: 'deployed', account: worker.accountId, worker: worker.name, deployment: deployment.id, versions });
    return c.json({ deployment: deploymentJson(deployment) }, 201);
  });

  app.post('/api/v1/workers/:name/rollback', async (c) => {
    requireScope(c.var.token, 'workers:write');
    const worker = await existing(c);
    const body = await readJson(c);
    const versionId = optionalString(body, 'version_id', 200) ?? null;
    const versions = await rollbackTarget(store, worker.accountId, worker.name, versionId);
    await checkSplitsDeployable(store, worker.accountId, worker.name, versions);
    const message = optionalString(body, 'message', 1000) ?? 'rollback';
    const deployment = newDeployment(worker.accountId, worker.name, versions, message, c.var.token.id, deps.now());
    await store.createDeployment(deployment);
    deps.log({ level: 'info', msg: 'rolled back', account: worker.accountId, worker: worker.name, deployment: deployment.id, versions });
    return c.json({ deployment: deploymentJson(deployment) }, 201);
  });
}
