// Test harness for WebSockets served by a worker: a real isolate behind node:http on
// 127.0.0.1 (with the 'upgrade' listener an embedder installs), and the `ws` package as
// the client.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket } from 'ws';
import { DEFAULT_LIMITS, WorkerIsolate, type WorkerLimits } from '../../src/runtime/worker-isolate.ts';
import { invokeHttp } from '../../src/runtime/http.ts';
import { invokeUpgrade, upgradeListener } from '../../src/runtime/web-socket-upgrade.ts';
import { outboundFetch } from '../../src/runtime/outbound.ts';
import type { Invocation } from '../../src/runtime/invocation.ts';

export async function serveWorker(code: string, limits: Partial<WorkerLimits> = {}, via: 'invokeUpgrade' | 'listener' = 'invokeUpgrade') {
  const logs: string[] = [];
  const invocations: Invocation[] = [];
  const worker = await WorkerIsolate.create({
    name: 'ws-test', versionId: 'v1', format: 'modules', mainModule: 'index.js',
    modules: [{ name: 'index.js', type: 'esm', content: code }],
    bindings: [], compatibilityDate: '2025-01-01', compatibilityFlags: [], limits: { ...DEFAULT_LIMITS, ...limits }, dev: true,
  }, {
    fetch: (_ctx, init, body, signal) => outboundFetch(init, body, signal),
    log: () => {},
    console: (_w, _inv, level, message) => logs.push(`${level}: ${message}`),
  });
  const opts = (url = '/') => ({ url: `http://localhost${url}`, cf: {}, maxBodyBytes: 1024 * 1024, exposeErrors: true });
  const handle = (req: IncomingMessage, res: ServerResponse) => invokeHttp(worker, req, res, opts(req.url)).then((i) => { invocations.push(i); });
  const server = createServer(handle);
  // Both ways an embedder can take upgrades: its own handler, or invokeUpgrade directly.
  server.on('upgrade', via === 'listener' ? upgradeListener(handle) : (req, socket, head) => void invokeUpgrade(worker, req, socket, head, opts(req.url)).then((i) => invocations.push(i)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    http: `http://127.0.0.1:${port}`,
    ws: `ws://127.0.0.1:${port}`,
    logs,
    invocations,
    worker,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      worker.dispose();
    },
  };
}

/** Opens a `ws` client and collects what it receives. */
export async function connect(url: string, protocols?: string[]) {
  const ws = new WebSocket(url, protocols);
  const messages: (string | Buffer)[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data, isBinary) => {
    messages.push(isBinary ? (data as Buffer) : data.toString());
    for (const w of waiters.splice(0)) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`unexpected response ${res.statusCode}`)));
  });
  return {
    ws,
    messages,
    closed,
    async next(n = messages.length + 1, ms = 3000) {
      const deadline = Date.now() + ms;
      while (messages.length < n) {
        if (Date.now() > deadline) throw new Error(`only ${messages.length} of ${n} messages arrived`);
        await new Promise<void>((r) => { waiters.push(r); setTimeout(r, 50); });
      }
      return messages[n - 1];
    },
  };
}

export async function waitFor(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
