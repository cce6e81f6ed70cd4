// The baseline: a bare node:http server in its own process. `--mode hello` answers
// "Hello World!" with the same headers atoll's hello worker sends; `--mode pipe` pipes
// the request body back as the response body (the streaming baseline).

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const mode = process.argv.includes('--mode') ? process.argv[process.argv.indexOf('--mode') + 1] : 'hello';
const HELLO = Buffer.from('Hello World!');

const server = createServer((req, res) => {
  if (mode === 'pipe') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    req.pipe(res);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain;charset=UTF-8', 'content-length': HELLO.byteLength });
  res.end(HELLO);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});
process.on('SIGTERM', () => process.exit(0));
