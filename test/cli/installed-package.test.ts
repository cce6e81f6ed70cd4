// atoll installed as a package (under node_modules, where Node refuses to strip types):
// the CLI still starts and `atoll dev` serves a worker, its store threads included.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, WAIT_MS } from '../dev/spawn-cli.ts';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('installed under node_modules: atoll dev serves a worker with a KV binding', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-installed-'));
  const pkg = join(dir, 'node_modules', 'atoll');
  mkdirSync(pkg, { recursive: true });
  for (const part of ['bin', 'src', 'package.json']) cpSync(join(ROOT, part), join(pkg, part), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'), 'dir');
  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'wrangler.toml'), 'name = "installed"\nmain = "worker.ts"\nkv_namespaces = [{ binding = "KV", id = "local" }]\n');
  writeFileSync(join(app, 'worker.ts'), `interface Env { KV: { put(k: string, v: string): Promise<void>; get(k: string): Promise<string | null> } }
export default { async fetch(request: Request, env: Env): Promise<Response> {
  await env.KV.put('seen', new URL(request.url).pathname);
  return new Response('installed atoll says ' + await env.KV.get('seen'));
} };\n`);
  const port = await freePort();
  const child = spawn(process.execPath, [join(pkg, 'bin/atoll.js'), 'dev', '--port', String(port)], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  try {
    let body = '';
    for (const start = Date.now(); Date.now() - start < WAIT_MS;) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/hello`, { signal: AbortSignal.timeout(5000) });
        body = await res.text();
        break;
      } catch {
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.equal(body, 'installed atoll says /hello', output);
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    rmSync(dir, { recursive: true, force: true });
  }
});
