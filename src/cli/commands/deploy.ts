// `atoll deploy [ENTRY]`: reads wrangler.toml / wrangler.json(c), bundles the worker with
// esbuild, uploads the bundle as a new version (docs/api.md, PUT /workers/:name with
// ?deploy=false), activates it at 100%, then binds the config's routes and sets its
// cron triggers (triggers.crons), and waits until every healthy edge location serves
// the new version (--wait-timeout); with --stage it starts a rollout by location instead
// (src/cluster/rollout.ts). Everything the
// API could refuse about routes is checked before the upload, so a refused route leaves
// the running version alone.

import { relative, resolve } from 'node:path';
import { bundleWorker } from '../../bundle/bundle.ts';
import { loadConfig } from '../../config/load.ts';
import type { WorkerConfig } from '../../config/types.ts';
import { normalizePattern, patternInZone } from '../../control/routes.ts';
import { CronError, parseCron } from '../../cron/expression.ts';
import { UserError } from '../../runtime/errors.ts';
import type { ModuleType } from '../../runtime/modules.ts';
import { ApiClient, seg } from '../api-client.ts';
import type { CommandSpec } from '../command.ts';
import { waitForLocations } from '../deploy-wait.ts';
import { JSON_OPTION, platformCommand, print, printJson, progress } from '../platform.ts';
import { integerIn, locationList } from '../values.ts';

const CONTENT_TYPES: Record<ModuleType, string> = {
  esm: 'application/javascript+module', commonjs: 'application/javascript', text: 'text/plain',
  data: 'application/octet-stream', wasm: 'application/wasm', json: 'application/json',
};

interface Route { id: string; pattern: string; worker: string }

/** The bindings a version declares, from the config (secrets are bound by the platform). */
function bindings(config: WorkerConfig, shown: string): unknown[] {
  const out: unknown[] = [];
  for (const [name, value] of Object.entries(config.vars)) {
    out.push(typeof value === 'string' ? { type: 'plain_text', name, text: value } : { type: 'json', name, json: value });
  }
  for (const kv of config.kvNamespaces) {
    const id = config.kvNamespaceIds[kv.binding];
    if (id === undefined) throw new UserError(`${shown}: KV binding "${kv.binding}" has no "id": create a namespace with atoll kv namespace create TITLE and put its id in kv_namespaces`, 'config_invalid');
    out.push({ type: 'kv_namespace', name: kv.binding, namespace_id: id });
  }
  for (const s of config.services) out.push({ type: 'service', name: s.binding, service: s.service });
  return out;
}

/** The config's route patterns, checked against the account's zones and routes. */
async function plannedRoutes(api: ApiClient, config: WorkerConfig, shown: string, worker: string): Promise<{ pattern: string; existing: Route | null }[]> {
  if (config.routes.length === 0) return [];
  const custom = config.routes.find((r) => r.customDomain);
  if (custom) throw new UserError(`${shown}: route "${custom.pattern}" is a custom_domain, which atoll does not have: create a zone (atoll zone create HOST --origin URL) and use the pattern "${custom.pattern}/*"`, 'config_invalid');
  const [{ zones }, { routes }] = await Promise.all([api.call('GET', '/zones'), api.call('GET', '/routes')]) as [{ zones: { hostname: string }[] }, { routes: Route[] }];
  return config.routes.map((r) => {
    let pattern: string;
    try {
      pattern = normalizePattern(r.pattern);
    } catch (err) {
      throw new UserError(`${shown}: route "${r.pattern}": ${(err as Error).message}`, 'config_invalid');
    }
    if (!zones.some((z) => patternInZone(pattern, z.hostname))) {
      throw new UserError(`route "${pattern}" lies in none of this account's zones: create its zone first (atoll zone create HOSTNAME --origin URL)`, 'no_zone');
    }
    const existing = routes.find((x) => x.pattern === pattern) ?? null;
    if (existing && existing.worker !== worker) {
      throw new UserError(`route "${pattern}" already sends requests to worker "${existing.worker}": delete it first (atoll route delete ${existing.id}) or change the pattern`, 'route_exists');
    }
    return { pattern, existing };
  });
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

export const deployCommand: CommandSpec = platformCommand({
  name: 'deploy',
  summary: 'bundle a worker and deploy it to the platform as a new version',
  args: [{ name: 'entry', help: 'the worker\'s main module (default: "main" in the config)', required: false }],
  options: [
    { flags: '--name <worker>', help: 'the worker\'s name (default: "name" in the config)' },
    { flags: '-c, --config <file>', help: 'the config file to read (default: wrangler.json, wrangler.jsonc or wrangler.toml in this folder)' },
    { flags: '-e, --env <name>', help: 'use the config\'s [env.NAME] section, as wrangler does' },
    { flags: '--compatibility-date <date>', help: 'YYYY-MM-DD (default: compatibility_date in the config)' },
    { flags: '-m, --message <text>', help: 'a note kept with the version and the deployment' },
    { flags: '--stage <locations>', help: 'roll out location by location in this order (comma-separated), rolled back by itself if its error rate rises above the previous version\'s (distributed mode)', parse: locationList },
    { flags: '--stage-seconds <n>', help: 'with --stage: how long each location runs the version before the next gets it', parse: integerIn(1, 86_400, 'seconds'), default: 300 },
    { flags: '--min-requests <n>', help: 'with --stage: requests a stage needs before it is judged', parse: integerIn(1, 1_000_000, 'requests'), default: 100 },
    { flags: '--wait-timeout <seconds>', help: 'seconds to wait for every healthy edge location to serve the new version (0: do not wait)', parse: integerIn(0, 3600, 'seconds'), default: 30 },
    JSON_OPTION,
  ],
  examples: [
    { command: 'deploy', explain: 'deploy the worker that wrangler.toml in this folder describes' },
    { command: 'deploy --env production -m "fix the cart total"', explain: 'deploy [env.production], with a message' },
    { command: 'deploy src/index.ts --name hello --compatibility-date 2026-01-01', explain: 'deploy without a config file' },
  ],
  async run([entry], o) {
    const cwd = process.cwd();
    const config = loadConfig(cwd, o.config ?? null, o.env ?? null);
    const shown = config.file === null ? 'the command line' : relative(cwd, config.file) || config.file;
    for (const w of config.warnings) progress(`Warning: ${w}`);
    const name = o.name ?? config.name;
    if (!name) throw new UserError(config.file === null ? 'no worker name: pass --name WORKER or add name = "..." to a wrangler.toml' : `${shown} has no "name": add name = "my-worker" or pass --name`, 'no_worker');
    const main = entry === undefined ? config.main : resolve(cwd, entry);
    if (!main) throw new UserError(`no entry point: pass one (atoll deploy src/index.js) or set "main" in ${config.file === null ? 'a wrangler.toml' : shown}`, 'no_entry');
    const date = o.compatibilityDate ?? config.compatibilityDate;
    if (!date) throw new UserError(`no compatibility date: add compatibility_date = "YYYY-MM-DD" to ${config.file === null ? 'a wrangler.toml' : shown} or pass --compatibility-date`, 'config_invalid');
    const binds = bindings(config, shown);
    // Checked before the upload, as routes are, so a bad one leaves the running version alone.
    const crons = config.crons.map((c) => {
      try {
        return parseCron(c).expression;
      } catch (err) {
        if (err instanceof CronError) throw new UserError(`${shown}: triggers.crons: ${err.message}`, 'invalid_cron');
        throw err;
      }
    });
    const api = ApiClient.fromLogin();
    const routes = await plannedRoutes(api, config, shown, name);

    const projectDir = config.file === null ? cwd : config.dir;
    progress(`Bundling ${relative(cwd, main) || main}...`);
    const bundle = await bundleWorker({ entry: main, projectDir, rules: config.rules, mode: 'production' });
    for (const w of bundle.warnings) progress(w);
    const size = bundle.modules.reduce((n, m) => n + (typeof m.content === 'string' ? Buffer.byteLength(m.content) : m.content.byteLength), 0);
    progress(`Bundled ${bundle.modules.length} module${bundle.modules.length === 1 ? '' : 's'} (${kib(size)}, ${bundle.format === 'modules' ? 'ES modules' : 'service worker'}) in ${Math.round(bundle.buildMs)} ms`);

    const form = new FormData();
    const mainKey = bundle.format === 'modules' ? 'main_module' : 'body_part';
    const limits = { ...(config.limits.cpuMs !== null ? { cpu_ms: config.limits.cpuMs } : {}), ...(config.limits.memoryMb !== null ? { memory_mb: config.limits.memoryMb } : {}) };
    form.set('metadata', JSON.stringify({
      [mainKey]: bundle.mainModule, compatibility_date: date, compatibility_flags: config.compatibilityFlags,
      bindings: binds, limits, ...(o.message !== undefined ? { message: o.message } : {}),
    }));
    for (const m of bundle.modules) {
      const type = bundle.format === 'service-worker' ? CONTENT_TYPES.commonjs : CONTENT_TYPES[m.type];
      const bytes = typeof m.content === 'string' ? new TextEncoder().encode(m.content) : m.content;
      form.append(m.name, new Blob([bytes as Uint8Array<ArrayBuffer>], { type }), m.name);
    }
    progress(`Uploading ${name}...`);
    const { version } = await api.call('PUT', `/workers/${seg(name)}`, { body: form, query: { deploy: 'false' } });
    progress(`Uploaded version ${version.id}`);
    progress(o.stage ? `Rolling out ${version.id} to ${o.stage[0]} first...` : `Activating ${version.id}...`);
    let deployment;
    let rollout = null;
    try {
      if (o.stage) {
        ({ rollout } = await api.call('POST', `/workers/${seg(name)}/rollouts`, {
          json: { version_id: version.id, locations: o.stage, stage_seconds: o.stageSeconds, min_requests: o.minRequests, message: o.message ?? '' },
        }));
        deployment = { id: rollout.deployment_id };
      } else {
        ({ deployment } = await api.call('POST', `/workers/${seg(name)}/deployments`, { json: { versions: [{ version_id: version.id, percentage: 100 }], message: o.message ?? '' } }));
      }
    } catch (err) {
      throw new UserError(`version ${version.id} was uploaded but not activated: ${(err as Error).message}; activate it with atoll rollback ${version.id} --name ${name}`, (err as UserError).code);
    }
    const bound: string[] = [];
    for (const r of routes) {
      try {
        if (!r.existing) await api.call('POST', '/routes', { json: { pattern: r.pattern, worker: name } });
      } catch (err) {
        // Checked before the upload; only a change made meanwhile lands here.
        throw new UserError(`version ${version.id} is serving, but route "${r.pattern}" was not bound: ${(err as Error).message}`, (err as UserError).code);
      }
      bound.push(r.pattern);
    }
    // The config is the worker's list of cron triggers: none there removes any it had.
    try {
      await api.call('PUT', `/workers/${seg(name)}/schedules`, { json: { crons } });
    } catch (err) {
      throw new UserError(`version ${version.id} is serving, but its cron triggers were not set: ${(err as Error).message}`, (err as UserError).code);
    }
    let locations: { location: string; node: string; healthy: boolean }[] = [];
    // A rollout reaches the other locations later, so there is nothing to wait for now.
    if (o.waitTimeout > 0 && !rollout) {
      progress('Waiting for the edge locations...');
      ({ locations } = await waitForLocations(api, name, version.id, o.waitTimeout * 1000, progress));
    }
    if (o.json) {
      printJson({ worker: name, version, deployment, routes: bound, crons, locations, ...(rollout ? { rollout } : {}) });
      return 0;
    }
    if (rollout) {
      print(`Rolling out ${name}: version ${version.id} serves in ${rollout.reached.join(', ')} now, then ${rollout.locations.slice(rollout.reached.length).join(', ') || 'nowhere else'}, ${o.stageSeconds} s and at least ${o.minRequests} requests a stage; rolled back by itself if its error rate rises above the previous version's.`);
      print(`Follow it: GET /api/v1/workers/${name}/rollout (rollout ${rollout.id}).`);
    } else {
      print(`Deployed ${name}: version ${version.id} is serving 100% (deployment ${deployment.id}).`);
    }
    const serving = locations.filter((l) => l.healthy);
    if (serving.length > 0) print(`Serving at ${serving.length} edge node${serving.length === 1 ? '' : 's'}: ${serving.map((l) => `${l.location}/${l.node}`).join(', ')}`);
    print(bound.length === 0 ? 'Routes: none (add routes to the config, or atoll route create PATTERN --worker NAME)' : `Routes:\n${bound.map((p) => `  ${p}`).join('\n')}`);
    if (crons.length > 0) print(`Schedules:\n${crons.map((c) => `  ${c}`).join('\n')}`);
    return 0;
  },
});
