// `atoll dev` reads local secrets from .dev.vars next to the config, as wrangler does:
// dotenv lines over [vars], --var over both, .dev.vars.<env> with --env, reloaded on save.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDevServer, type DevServer } from '../../src/dev/server.ts';

const WAIT_MS = 30_000;
const WORKER = "export default { fetch: (req, env) => Response.json({ GREETING: env.GREETING, KEY: env.KEY, FLAG: env.FLAG }) };\n";

async function start(dir: string, events: Record<string, any>[], extra: { env?: string; vars?: [string, string][] } = {}): Promise<DevServer> {
  const collect = (line: string) => { for (const l of line.split('\n')) if (l) events.push(JSON.parse(l)); };
  return startDevServer({
    cwd: dir, entry: null, config: null, env: extra.env ?? null, ip: '127.0.0.1', port: 0, vars: extra.vars ?? [], origin: null,
    cpuMs: 1000, memoryMb: null, trustForwardedFor: false, location: 'DEV', persistTo: join(dir, '.persist'),
    logFormat: 'json', logSinks: { stdout: collect, stderr: collect },
  });
}

const get = async (dev: DevServer) => (await fetch(dev.url, { signal: AbortSignal.timeout(WAIT_MS) })).json() as Promise<Record<string, string | undefined>>;

describe('atoll dev: .dev.vars', () => {
  let dir: string;
  const servers: DevServer[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'atoll-dev-vars-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src/index.js'), WORKER);
    writeFileSync(join(dir, 'wrangler.toml'), [
      'name = "secrets"', 'main = "src/index.js"', 'compatibility_date = "2025-01-01"',
      '[vars]', 'GREETING = "from [vars]"', 'FLAG = "from [vars]"',
      '[env.staging.vars]', 'GREETING = "staging [vars]"', '',
    ].join('\n'));
    writeFileSync(join(dir, '.dev.vars'), [
      '# local secrets, never committed',
      'KEY="-----BEGIN PRIVATE KEY-----',
      'abc',
      '-----END PRIVATE KEY-----"',
      'FLAG=from .dev.vars',
      '',
    ].join('\n'));
  });
  after(async () => {
    for (const s of servers) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('atoll dev: .dev.vars: its values are bindings, multi-line ones too, over [vars]; --var wins over it', async () => {
    const dev = await start(dir, [], { vars: [['GREETING', 'from --var']] });
    servers.push(dev);
    assert.deepEqual(await get(dev), {
      GREETING: 'from --var',
      KEY: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----',
      FLAG: 'from .dev.vars',
    });
  });

  test('atoll dev: .dev.vars: with --env, .dev.vars.<env> is read instead when it exists', async () => {
    writeFileSync(join(dir, '.dev.vars.staging'), 'KEY=staging key\n');
    const dev = await start(dir, [], { env: 'staging' });
    servers.push(dev);
    assert.deepEqual(await get(dev), { GREETING: 'staging [vars]', KEY: 'staging key' });
  });

  test('atoll dev: .dev.vars: a saved change reloads the worker with the new values', async () => {
    const events: Record<string, any>[] = [];
    const dev = await start(dir, events);
    servers.push(dev);
    assert.equal((await get(dev)).FLAG, 'from .dev.vars');
    const from = events.length;
    writeFileSync(join(dir, '.dev.vars'), 'FLAG=edited\n');
    const until = Date.now() + WAIT_MS;
    while (!events.slice(from).some((e) => e.event === 'loaded') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    assert.ok(events.slice(from).some((e) => e.event === 'change' && e.files.includes(join(dir, '.dev.vars'))), JSON.stringify(events.slice(from)));
    assert.deepEqual(await get(dev), { GREETING: 'from [vars]', FLAG: 'edited' });
  });
});
