// `atoll dev` runs the scheduled handler on GET /cdn-cgi/handler/scheduled, as wrangler
// dev does: the real CLI in a child process, a real worker project in a temp folder.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDev, type DevProcess } from '../dev/spawn-cli.ts';

const WORKER = `export default {
  fetch() { return new Response('fetch'); },
  async scheduled(controller, env) {
    console.log('scheduled', controller.cron, controller.scheduledTime, env.WHO);
    if (controller.cron === '0 0 * * *') throw new Error('midnight job failed');
  },
};
`;

describe('atoll dev: scheduled test trigger', () => {
  let dir: string;
  let dev: DevProcess;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atoll-cron-dev-'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src/index.js'), WORKER);
    writeFileSync(join(dir, 'wrangler.toml'), 'name = "cron-dev"\nmain = "src/index.js"\ncompatibility_date = "2025-01-01"\n[vars]\nWHO = "dev"\n');
    dev = await startDev([], dir);
  });

  after(async () => {
    await dev?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('atoll dev: /cdn-cgi/handler/scheduled: runs scheduled() with the cron and time asked for; its console lines reach the terminal', async () => {
    const from = dev.events.length;
    const res = await dev.fetch('/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*&time=1764237600000');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'Ran scheduled event\n');
    await dev.waitFor((e) => e.event === 'console' && e.message === 'scheduled */5 * * * * 1764237600000 dev', from);
    const line = await dev.waitFor((e) => e.event === 'request' && e.path === '/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*&time=1764237600000', from);
    assert.equal(line.status, 200);
    assert.equal(line.outcome, 'ok');
    assert.equal((await (await dev.fetch('/other')).text()), 'fetch');
  });

  test('atoll dev: /cdn-cgi/handler/scheduled: a handler that throws answers 500 with the stack', async () => {
    const res = await dev.fetch('/cdn-cgi/handler/scheduled?cron=0+0+*+*+*');
    assert.equal(res.status, 500);
    const text = await res.text();
    assert.match(text, /^The scheduled handler failed \(exception\):\n\nError: midnight job failed\n\s+at /);
  });

  test('atoll dev: /cdn-cgi/handler/scheduled: bad input: a bad cron or time answers 400 saying what to fix', async () => {
    const badCron = await dev.fetch('/cdn-cgi/handler/scheduled?cron=61+*+*+*+*');
    assert.equal(badCron.status, 400);
    assert.equal(await badCron.text(), 'cron "61 * * * *": the minute field has 61, out of range; use 0-59, e.g. */15\n');
    const badTime = await dev.fetch('/cdn-cgi/handler/scheduled?time=yesterday');
    assert.equal(badTime.status, 400);
    assert.match(await badTime.text(), /^time "yesterday" must be a time in milliseconds since 1970-01-01 UTC/);
  });
});
