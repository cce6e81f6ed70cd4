// What the platform commands print, as a user reads it, kept as snapshots (ids, times,
// ports and hashes masked): a change of wording or layout shows up in review. Update
// them with `node_modules/.bin/node --no-node-snapshot --test --test-update-snapshots test/cli/platform-output.test.ts`.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { upload } from '../control/harness.ts';
import { startPlatform, type Platform } from './platform-harness.ts';

let p: Platform;
before(async () => {
  p = await startPlatform();
  // A secret_text binding asserts the secret is set, so it goes first.
  const secret = await p.h.call('PUT', '/api/v1/workers/hello/secrets/API_KEY', { json: { value: 'v' } });
  assert.equal(secret.status, 200, secret.text);
  await upload(p.h, 'hello', { metadata: { message: 'first', limits: { cpu_ms: 50 }, bindings: [{ type: 'plain_text', name: 'GREETING', text: 'hi' }, { type: 'secret_text', name: 'API_KEY' }] } });
});
after(async () => { await p?.close(); });

// Masks keep their lengths, so tables stay aligned as the user sees them.
const mask = (text: string) => text
  .replace(/\b(acc|tok|ver|dep|kvn|zone|route)_([0-9a-f]+)/g, (_m, kind: string, hex: string) => `${kind}_${'x'.repeat(hex.length)}`)
  .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/g, 'YYYY-MM-DD hh:mm:ssZ')
  .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
  .replace(/\b[0-9a-f]{64}\b/g, 'h'.repeat(64));

/** `atoll ARGS` succeeds; its output, masked. */
async function out(args: string[], stdin?: string): Promise<string> {
  const r = await p.cli(args, { stdin });
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return mask(r.stdout);
}

const steps: [string, string[], string?][] = [
  ['whoami', ['whoami']],
  ['kv namespace create', ['kv', 'namespace', 'create', 'sessions']],
  ['kv namespace list', ['kv', 'namespace', 'list']],
  ['zone create', ['zone', 'create', 'example.com', '--origin', 'https://origin.example.net']],
  ['zone list', ['zone', 'list']],
  ['route create', ['route', 'create', 'example.com/*', '--worker', 'hello']],
  ['route list', ['route', 'list']],
  ['secret put', ['secret', 'put', 'API_KEY', '--name', 'hello'], 'value'],
  ['secret list', ['secret', 'list', '--name', 'hello']],
  ['token list', ['token', 'list']],
  ['versions list', ['versions', 'list', '--name', 'hello']],
  ['deployments status', ['deployments', 'status', '--name', 'hello']],
];

for (const [name, args, stdin] of steps) {
  test(`atoll ${name}: prints what a user reads`, async (t) => {
    t.assert.snapshot(await out(args, stdin), { serializers: [(text) => text] });
  });
}

test('atoll versions view: prints what a user reads', async (t) => {
  const id = JSON.parse((await p.cli(['versions', 'list', '--name', 'hello', '--json'])).stdout).versions[0].id;
  t.assert.snapshot(await out(['versions', 'view', id, '--name', 'hello']), { serializers: [(text) => text] });
});
