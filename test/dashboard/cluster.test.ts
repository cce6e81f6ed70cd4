// The dashboard in distributed mode: the control process of a real cluster (nats-server,
// two edge locations) serves the same page, sign-in and preview; a deploy made with the session
// reaches both locations, the workers list shows it live at both, and the last-hour
// stats count the requests each location served.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { edgeRequest, eventually, startOrigin, type Origin } from '../edge/helpers.ts';
import { startTestCluster, type TestCluster } from '../cluster/cluster-harness.ts';
import { launchChromium } from './browser-harness.ts';

const WAIT = 30_000;
let c: TestCluster;
let origin: Origin;
let browser: Browser | undefined;

before(async () => {
  c = await startTestCluster({ locations: ['ams', 'fra'] });
  origin = await startOrigin();
});

after(async () => {
  await browser?.close();
  await c?.close();
  await origin?.close();
});

test('distributed mode: sign in, preview a draft, deploy with the session, see it live at both locations with their stats', async () => {
  const api = c.control.api.url;
  const page = await fetch(`${api}/dashboard/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script type="module" src="assets\/app-/);

  const signIn = await fetch(`${api}/dashboard/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: c.h.token }) });
  assert.equal(signIn.status, 201);
  const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
  const { csrf } = await signIn.json() as { csrf: string };
  const session = { cookie, 'x-atoll-csrf': csrf };

  const preview = await fetch(`${api}/api/v1/workers/shop/preview`, {
    method: 'POST', headers: { ...session, 'content-type': 'application/json' },
    body: JSON.stringify({ main_module: 'index.js', modules: [{ name: 'index.js', content: 'export default { fetch() { console.log("drafted"); return new Response("draft"); } };' }], request: { url: '/' } }),
  });
  const previewed = await preview.json() as { response: { body: string }; logs: { message: string }[] };
  assert.equal(previewed.response.body, 'draft');
  assert.deepEqual(previewed.logs.map((l) => l.message), ['drafted']);

  assert.equal((await c.h.call('POST', '/api/v1/zones', { json: { hostname: 'shop.test', origin: origin.url } })).status, 201);
  const form = new FormData();
  form.set('metadata', JSON.stringify({ main_module: 'index.js', compatibility_date: '2026-01-01', message: 'from the dashboard' }));
  form.set('index.js', new Blob(['export default { fetch() { return new Response("clustered"); } };'], { type: 'application/javascript+module' }), 'index.js');
  const put = await fetch(`${api}/api/v1/workers/shop`, { method: 'PUT', headers: session, body: form });
  assert.equal(put.status, 201, await put.clone().text());
  const route = await fetch(`${api}/api/v1/routes`, { method: 'POST', headers: { ...session, 'content-type': 'application/json' }, body: JSON.stringify({ pattern: 'shop.test/*', worker: 'shop' }) });
  assert.equal(route.status, 201);
  for (const e of c.edges) await eventually(async () => assert.equal((await edgeRequest(e.edge, 'shop.test', '/')).text, 'clustered'), WAIT);
  for (const e of c.edges) await edgeRequest(e.edge, 'shop.test', '/again');

  await eventually(async () => {
    const stats = await (await fetch(`${api}/api/v1/workers/shop/stats`, { headers: { cookie } })).json() as { locations: { location: string; requests: number }[] };
    assert.deepEqual(stats.locations.map((l) => l.location), ['ams', 'fra']);
    for (const l of stats.locations) assert.ok(l.requests >= 2, `${l.location} counted ${l.requests}`);
  }, WAIT);

  browser = await launchChromium();
  const tab = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  tab.setDefaultTimeout(WAIT);
  await tab.goto(`${api}/dashboard/`);
  await tab.getByLabel('API token').fill(c.h.token);
  await tab.getByRole('button', { name: 'Sign in' }).click();
  const row = tab.getByRole('row', { name: /shop/ });
  await row.getByText('ams').waitFor();
  await row.getByText('fra').waitFor();
});
