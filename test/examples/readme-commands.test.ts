// An `atoll dev` command from an example's README, run as a user runs it: the real CLI
// as a process in the example's folder (with --port 0 and a stand-in origin), and the
// request the README suggests. The other example tests run the same dev server in
// process; this checks the command as written (one example: a process costs seconds).

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startDev, type DevProcess } from '../dev/spawn-cli.ts';
import { EXAMPLES, startFake, type FakeService } from './harness.ts';

let site: FakeService;

before(async () => {
  site = await startFake((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html', 'x-powered-by': 'PHP/7.2.1' });
    res.end(`<p>page ${req.url}</p>`);
  });
});

after(async () => { await site?.close(); });

describe('examples: the README commands', () => {
  test('security-headers: npx atoll dev --origin URL, then curl -sI /', async (t) => {
    const dev: DevProcess = await startDev(['--origin', site.url], join(EXAMPLES, 'security-headers'));
    t.after(() => dev.stop());
    const res = await dev.fetch('/', { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-powered-by'), null);
    assert.equal(res.headers.get('server'), 'atoll');
    await dev.waitFor((e) => e.event === 'request' && e.method === 'HEAD' && e.status === 200);
  });
});
