// workerd (Cloudflare's own runtime, the npm package `workerd`) serving the same worker
// from a minimal capnp config on a loopback port: the other baseline for throughput.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { OUT_DIR, ROOT, sleep, startChild, timedGet, type Child } from './harness.ts';

function workerdBinary(): string {
  for (const p of ['node_modules/@cloudflare/workerd-linux-64/bin/workerd', 'node_modules/workerd/bin/workerd']) {
    if (existsSync(ROOT + p)) return ROOT + p;
  }
  throw new Error('workerd is not installed (it is a devDependency: npm install)');
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Starts workerd serving `code` (an ES module worker) on 127.0.0.1; resolves once it answers. */
export async function startWorkerd(code: string): Promise<Child & { url: string; port: number }> {
  const port = await freePort();
  const dir = `${OUT_DIR}workerd-${port}/`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(dir + 'worker.js', code);
  writeFileSync(dir + 'config.capnp', `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [ (name = "main", worker = .worker) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);

const worker :Workerd.Worker = (
  modules = [ (name = "worker", esModule = embed "worker.js") ],
  compatibilityDate = "2025-01-01",
);
`);
  const child = startChild(workerdBinary(), ['serve', dir + 'config.capnp'], { cwd: dir });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await timedGet(url + '/');
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (child.proc.exitCode !== null) throw new Error(`workerd exited with ${child.proc.exitCode}`);
    if (Date.now() > deadline) {
      await child.stop();
      throw new Error('workerd did not answer within 30 s');
    }
    await sleep(100);
  }
  return Object.assign(child, { url, port });
}
