// `atoll dev` on the other kinds of project: a service-worker script (wrangler.json), a
// TypeScript entry with an npm dependency and a KV namespace (wrangler.jsonc), the demo
// project in examples/hello, and an entry given on the command line with no config.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { copyFixture, FIXTURES, ROOT, startDev } from './spawn-cli.ts';

describe('atoll dev: project kinds', () => {
  test('atoll dev: a service-worker script: bindings are globals, text and wasm imports are inlined', async () => {
    const dev = await startDev([], join(FIXTURES, 'service-worker'));
    try {
      const loaded = dev.events.find((e) => e.event === 'loaded')!;
      assert.equal(loaded.format, 'service-worker');
      assert.equal(await (await dev.fetch('/')).text(), 'howdy from a service worker; inlined text; 2+2=4');
    } finally {
      await dev.stop();
    }
  });

  test('atoll dev: a TypeScript entry with an npm dependency and KV: bundled, and KV data persists across restarts', async () => {
    const data = mkdtempSync(join(tmpdir(), 'atoll-kv-'));
    try {
      const first = await startDev(['--persist-to', data], join(FIXTURES, 'ts-worker'));
      try {
        assert.equal(await (await first.fetch('/')).text(), 'HELLO IN TYPESCRIPT!');
        assert.equal(await (await first.fetch('/kv?key=a')).text(), '(none)');
        const put = await first.fetch('/kv?key=a', { method: 'PUT', body: 'stored value' });
        assert.equal(await put.text(), 'stored value');
      } finally {
        await first.stop();
      }
      const second = await startDev(['--persist-to', data], join(FIXTURES, 'ts-worker'));
      try {
        assert.equal(await (await second.fetch('/kv?key=a')).text(), 'stored value');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });

  test('atoll dev: an npm install (node_modules/.package-lock.json rewritten): rebuilds with the new package', async () => {
    const project = copyFixture('ts-worker');
    const dev = await startDev(['--persist-to', join(project.dir, '.atoll')], project.dir);
    try {
      assert.equal(await (await dev.fetch('/')).text(), 'HELLO IN TYPESCRIPT!');
      const from = dev.events.length;
      writeFileSync(join(project.dir, 'node_modules/tiny-greet/index.js'), 'export function shout(text) {\n  return `${text.toUpperCase()}!!!`;\n}\n');
      writeFileSync(join(project.dir, 'node_modules/.package-lock.json'), '{"name": "ts-fixture", "lockfileVersion": 3, "packages": {}}\n');
      await dev.waitFor((e) => e.event === 'loaded' && e.reason === 'change', from);
      assert.equal(await (await dev.fetch('/')).text(), 'HELLO IN TYPESCRIPT!!!');
    } finally {
      await dev.stop();
      project.remove();
    }
  });

  test('atoll dev: the demo project (examples/hello): answers with its greeting', async () => {
    const dev = await startDev(['-c', 'examples/hello/wrangler.toml'], ROOT);
    try {
      const res = await dev.fetch('/json');
      assert.deepEqual(await res.json(), { greeting: 'Hello from atoll', colo: 'DEV', path: '/json' });
    } finally {
      await dev.stop();
    }
  });

  test('atoll dev: ENTRY with no config file: runs it, and warns that no compatibility_date is set', async () => {
    const dev = await startDev(['index.js'], join(FIXTURES, 'bad-config'));
    try {
      assert.equal(await (await dev.fetch('/')).text(), 'bad-config fixture');
      const warning = dev.events.find((e) => e.event === 'config_warning');
      assert.match(warning?.message ?? '', /No compatibility_date is set; using today's date/);
    } finally {
      await dev.stop();
    }
  });

  test('atoll dev: a worker that does not build at start: keeps running and answers 503 with the error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'atoll-broken-'));
    try {
      writeFileSync(join(dir, 'index.js'), 'export default {\n  fetch() { return new Response("x" }\n};\n');
      const dev = await startDev(['index.js'], dir);
      try {
        const res = await dev.fetch('/');
        assert.equal(res.status, 503);
        assert.match(await res.text(), /the worker is not running: Build failed: index\.js:2:\d+: error: /);
        writeFileSync(join(dir, 'index.js'), 'export default {\n  fetch() { return new Response("fixed"); }\n};\n');
        await dev.waitFor((e) => e.event === 'loaded');
        assert.equal(await (await dev.fetch('/')).text(), 'fixed');
      } finally {
        await dev.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
