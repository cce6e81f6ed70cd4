// `atoll dev` hands WebSocket upgrades to the worker: a 101 with `webSocket` connects a
// real client (the `ws` package) to the worker's end of a WebSocketPair.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import WebSocket from 'ws';
import { startDev } from './spawn-cli.ts';

test('atoll dev: WebSocket: an echo worker answers a real client, and a plain request still gets a page', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-ws-'));
  writeFileSync(join(dir, 'index.js'), `export default {
    fetch(request) {
      if (request.headers.get('upgrade') !== 'websocket') return new Response('not a socket');
      const [client, server] = Object.values(new WebSocketPair());
      server.accept();
      server.addEventListener('message', (e) => server.send('echo: ' + e.data));
      return new Response(null, { status: 101, webSocket: client });
    },
  };`);
  const dev = await startDev(['index.js'], dir);
  try {
    assert.equal(await (await dev.fetch('/')).text(), 'not a socket');
    const ws = new WebSocket(dev.url.replace('http', 'ws') + '/chat');
    const reply = await new Promise<string>((resolve, reject) => {
      ws.once('open', () => ws.send('hello'));
      ws.once('message', (data) => resolve(String(data)));
      ws.once('error', reject);
      setTimeout(() => reject(new Error('no reply within 10 s')), 10_000);
    });
    assert.equal(reply, 'echo: hello');
    ws.close(1000, 'done');
  } finally {
    await dev.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
