// A real atoll edge (src/edge/server.ts) with one zone and no routes, so every request
// goes to the zone's origin through the location's HTTP cache; the origin (in this
// process, asked once) serves `--bytes` bytes with Cache-Control max-age=3600, so under
// load every request is a HIT answered from the memory tier. `--mode bare` is the
// baseline instead: node:http answering the same bytes, with the same headers, from memory.

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEdge } from '../../src/edge/server.ts';
import type { EdgeConfigSource } from '../../src/edge/config-source.ts';

const arg = (name: string, fallback: string) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1]! : fallback);
const mode = arg('mode', 'edge');
const BODY = Buffer.alloc(Number(arg('bytes', '1024')), 'a');
const HEADERS = { 'content-type': 'text/plain', 'cache-control': 'public, max-age=3600' };

if (mode === 'bare') {
  const server = createServer((_req, res) => {
    res.writeHead(200, { ...HEADERS, age: '1', 'cf-cache-status': 'HIT', 'content-length': BODY.byteLength });
    res.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => console.log(`listening ${(server.address() as AddressInfo).port}`));
} else {
  const origin = createServer((_req, res) => {
    res.writeHead(200, { ...HEADERS, 'content-length': BODY.byteLength });
    res.end(BODY);
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
  const source: EdgeConfigSource = {
    routing: async () => ({ zones: [{ id: 'zone_bench', accountId: 'acc_bench', hostname: 'cache.bench', origin: `http://127.0.0.1:${(origin.address() as AddressInfo).port}` }], routes: [] }),
    deployments: async () => [],
    definition: async () => { throw new Error('no workers in this benchmark'); },
    watch: () => () => {},
  };
  const edge = await startEdge({ source, location: 'BENCH', port: 0, log: () => {} });
  console.log(`listening ${edge.port}`);
}
process.on('SIGTERM', () => process.exit(0));
