// atoll versions deploy against a real control API: a gradual rollout (two versions
// sharing the traffic), then promotion to one; every malformed split is refused with a
// one-line reason before or by the API, and the running deployment stays as it was.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { upload } from '../control/harness.ts';
import { assertFails, startPlatform, type Platform } from './platform-harness.ts';

let p: Platform;
let v1: string;
let v2: string;
before(async () => {
  p = await startPlatform();
  v1 = (await upload(p.h, 'shop', { source: 'export default { fetch() { return new Response("one"); } };' })).body.version.id;
  v2 = (await upload(p.h, 'shop', { source: 'export default { fetch() { return new Response("two"); } };', deploy: false })).body.version.id;
});
after(async () => { await p?.close(); });

const current = async () => (await p.h.call('GET', '/api/v1/workers/shop/deployments')).body.deployments[0];

test('atoll versions deploy: splits traffic between two versions, then promotes one to 100%', async () => {
  const split = await p.cli(['versions', 'deploy', `${v2}@10`, `${v1}@90`, '--name', 'shop', '-m', 'canary']);
  assert.equal(split.code, 0, split.stderr);
  const d = await current();
  assert.match(split.stdout, new RegExp(`^Deployed shop: now serving ${v2} \\(10%\\), ${v1} \\(90%\\) \\(deployment ${d.id}\\)\\.\\n$`));
  assert.deepEqual(d.versions, [{ version_id: v2, percentage: 10 }, { version_id: v1, percentage: 90 }]);
  assert.equal(d.message, 'canary');

  const all = await p.cli(['versions', 'deploy', v2, '--name', 'shop', '--json']);
  assert.equal(all.code, 0, all.stderr);
  assert.deepEqual(JSON.parse(all.stdout).deployment.versions, [{ version_id: v2, percentage: 100 }]);
});

test('atoll versions deploy: malformed splits are refused and the deployment stays', async () => {
  const before = await current();
  assertFails(await p.cli(['versions', 'deploy', `${v1}@50`, `${v2}`, '--name', 'shop']), 'versions deploy', /needs a percentage when two versions share the traffic/);
  assertFails(await p.cli(['versions', 'deploy', `${v1}@0`, '--name', 'shop']), 'versions deploy', /percentage must be from 1 to 100/);
  assertFails(await p.cli(['versions', 'deploy', 'ver/../x', '--name', 'shop']), 'versions deploy', /is not VERSION or VERSION@PERCENT/);
  assertFails(await p.cli(['versions', 'deploy', 'a@10', 'b@10', 'c@80', '--name', 'shop']), 'versions deploy', /give one version, or two with percentages/);
  assertFails(await p.cli(['versions', 'deploy', `${v1}@60`, `${v2}@60`, '--name', 'shop']), 'versions deploy', /add up to 120; make them add up to 100/);
  assertFails(await p.cli(['versions', 'deploy', 'ver_missing', '--name', 'shop']), 'versions deploy', /ver_missing/);
  assert.deepEqual(await current(), before);
});
