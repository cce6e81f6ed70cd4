// The floor of any design built on isolated-vm: node:http plus one isolated-vm call per
// request, and nothing else. The request's method, URL and headers are copied into an
// isolate whose function returns the response (status, headers, body), which is copied
// out and written. No limits, no CPU accounting, no Web APIs, no streaming: what atoll
// adds on top of this is its own cost; what this costs over bare node:http is the
// library's (bench/throughput.ts reports both).

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import ivm from '../../src/runtime/ivm.ts';

interface Answer { status: number; headers: [string, string][]; body: string }

const isolate = new ivm.Isolate({ memoryLimit: 128 });
const context = await isolate.createContext();
await context.eval(`globalThis.handle = (req) => ({
  status: 200,
  headers: [['content-type', 'text/plain;charset=UTF-8']],
  body: 'Hello World!',
});`);
const handle = (await context.global.get('handle', { reference: true })) as ivm.Reference<(req: unknown) => Answer>;
const CALL = { arguments: { copy: true }, result: { copy: true } } as const;

const server = createServer((req, res) => {
  const request = { method: req.method, url: req.url, headers: req.rawHeaders };
  handle.apply(undefined, [request], CALL).then((a: Answer) => {
    res.writeHead(a.status, [...a.headers.flat(), 'content-length', String(Buffer.byteLength(a.body))]);
    res.end(a.body);
  }, (err: Error) => {
    res.writeHead(500);
    res.end(err.message);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => process.exit(0));
