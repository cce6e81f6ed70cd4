// Service bindings under `atoll dev`: dev runs one worker, so the binding exists in env
// but a call to it fails with a reason naming the binding, over a real `atoll dev`.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDev } from '../dev/spawn-cli.ts';

test('atoll dev: service binding: calling one is a clear error that names it and says dev runs one worker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-svc-dev-'));
  try {
    writeFileSync(join(dir, 'wrangler.toml'), 'name = "caller"\nmain = "index.js"\ncompatibility_date = "2026-01-01"\n\n[[services]]\nbinding = "AUTH"\nservice = "auth-worker"\n');
    writeFileSync(join(dir, 'index.js'), `export default {
  async fetch(request, env) {
    try {
      await env.AUTH.fetch('http://auth.internal/check');
      return new Response('no error');
    } catch (e) {
      return new Response(typeof env.AUTH.fetch + ' ' + e.name + ': ' + e.message, { status: 502 });
    }
  },
};`);
    const dev = await startDev(['--persist-to', join(dir, '.atoll')], dir);
    try {
      const r = await dev.fetch('/');
      assert.equal(r.status, 502);
      assert.equal(await r.text(), 'function Error: Service binding "AUTH" names worker "auth-worker", which atoll dev does not run: atoll dev runs one worker. Deploy both workers to call one from the other.');
    } finally {
      await dev.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
