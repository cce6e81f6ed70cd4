// `atoll dev` with npm packages that come from a parent folder's node_modules (a project
// in a monorepo, or an example in this repository): the lock file npm rewrites on install
// is watched there, and closing the server leaves no watch behind.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDevServer, type DevServer } from '../../src/dev/server.ts';

const WAIT_MS = 30_000;

describe('atoll dev: packages from a parent folder', () => {
  let root: string;
  let dev: DevServer | undefined;
  const events: Record<string, any>[] = [];
  const collect = (line: string) => { for (const l of line.split('\n')) if (l) events.push(JSON.parse(l)); };

  const writeGreeter = (greeting: string) => {
    writeFileSync(join(root, 'node_modules/greeter/index.js'), `export const greeting = ${JSON.stringify(greeting)};\n`);
  };

  async function waitFor(pred: (e: Record<string, any>) => boolean, from: number): Promise<Record<string, any>> {
    const until = Date.now() + WAIT_MS;
    for (;;) {
      const e = events.slice(from).find(pred);
      if (e) return e;
      if (Date.now() > until) throw new Error(`no such event within ${WAIT_MS} ms: ${events.slice(from).map((x) => x.message).join(' | ')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'atoll-dev-packages-'));
    mkdirSync(join(root, 'node_modules/greeter'), { recursive: true });
    writeFileSync(join(root, 'node_modules/greeter/package.json'), JSON.stringify({ name: 'greeter', version: '1.0.0', type: 'module', main: 'index.js' }));
    writeFileSync(join(root, 'node_modules/.package-lock.json'), '{"lockfileVersion":3,"packages":{}}\n');
    writeGreeter('hello from a package');
    mkdirSync(join(root, 'app/src'), { recursive: true });
    writeFileSync(join(root, 'app/wrangler.toml'), 'name = "app"\nmain = "src/index.js"\ncompatibility_date = "2025-01-01"\n');
    writeFileSync(join(root, 'app/src/index.js'), "import { greeting } from 'greeter';\nexport default { fetch: () => new Response(greeting) };\n");
    dev = await startDevServer({
      cwd: join(root, 'app'), entry: null, config: null, env: null, ip: '127.0.0.1', port: 0, vars: [], origin: null,
      cpuMs: 1000, memoryMb: null, trustForwardedFor: false, location: 'DEV', persistTo: join(root, 'persist'),
      logFormat: 'json', logSinks: { stdout: collect, stderr: collect },
    });
  });

  after(async () => {
    await dev?.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('atoll dev: start: serves the package and does not rebuild for a lock file that is not there', async () => {
    const res = await fetch(dev!.url, { signal: AbortSignal.timeout(WAIT_MS) });
    assert.equal(await res.text(), 'hello from a package');
    // A watch on app/node_modules (which does not exist) reported a change right away.
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(events.filter((e) => e.event === 'change').map((e) => e.message), []);
  });

  test('atoll dev: an npm install in the parent folder: rebuilds with the new package code', async () => {
    const from = events.length;
    writeGreeter('hello from version 2');
    writeFileSync(join(root, 'node_modules/.package-lock.json'), '{"lockfileVersion":3,"packages":{"node_modules/greeter":{}}}\n');
    const change = await waitFor((e) => e.event === 'change', from);
    assert.deepEqual(change.files, [join(root, 'node_modules/.package-lock.json')]);
    await waitFor((e) => e.event === 'loaded', from);
    const res = await fetch(dev!.url, { signal: AbortSignal.timeout(WAIT_MS) });
    assert.equal(await res.text(), 'hello from version 2');
  });

  test('atoll dev: close during a rebuild: leaves no file watch behind', async () => {
    const from = events.length;
    writeFileSync(join(root, 'app/src/index.js'), "export default { fetch: () => new Response('edited') };\n");
    await waitFor((e) => e.event === 'change', from);
    // The rebuild is under way; when it ends it must not watch the files again.
    await dev!.close();
    dev = undefined;
    // A closed watch leaves the list once libuv has closed its handle; a leaked one never does.
    const watches = () => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap');
    for (const until = Date.now() + 5000; watches().length > 0 && Date.now() < until;) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(watches(), []);
  });
});
