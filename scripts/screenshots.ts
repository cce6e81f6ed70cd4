// Refreshes the dashboard screenshots in docs/screenshots/ (shown in the README): starts
// a real `atoll up` in a temp folder, gives it a second worker, a few versions, some
// traffic and a KV namespace, then photographs the main screens at 1280x800 and two on
// a phone (390x844) with Debian's chromium.
//
//   node_modules/.bin/node --no-node-snapshot scripts/screenshots.ts     (or: npm run screenshots)

import { mkdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium, startUp, type Up } from '../test/dashboard/browser-harness.ts';

const OUT = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));

const shop = (tag: string) => `// The shop's API: prices from KV.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/shop/fail') throw new Error('payment backend unreachable');
    const item = url.searchParams.get('item') ?? 'tea';
    const price = (await env.PRICES.get(item)) ?? 'unknown';
    console.log(\`\${request.method} \${url.pathname} item=\${item} price=\${price}\`);
    return Response.json({ item, price, version: '${tag}' });
  },
};
`;

function edge(up: Up, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, up.edge), { headers: { host: 'localhost' } }, (res) => { res.resume(); res.on('end', () => resolve()); });
    req.on('error', reject);
    req.end();
  });
}

async function api(up: Up, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${up.api}${path}`, {
    method, headers: { authorization: `Bearer ${up.token}`, ...(body instanceof FormData || body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body instanceof FormData ? body : body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function deployShop(up: Up, tag: string, message: string, namespace: string): Promise<void> {
  const form = new FormData();
  form.set('metadata', JSON.stringify({
    main_module: 'index.js', compatibility_date: '2026-01-01', message,
    bindings: [{ type: 'kv_namespace', name: 'PRICES', namespace_id: namespace }, { type: 'plain_text', name: 'CURRENCY', text: 'EUR' }],
  }));
  form.set('index.js', new Blob([shop(tag)], { type: 'application/javascript+module' }), 'index.js');
  await api(up, 'PUT', '/api/v1/workers/shop', form);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(OUT, `${name}.png`) });
  console.log(`docs/screenshots/${name}.png`);
}

mkdirSync(OUT, { recursive: true });
const up = await startUp();
const browser = await launchChromium();
try {
  const { namespace } = await api(up, 'POST', '/api/v1/kv/namespaces', { title: 'prices' });
  for (const [k, v] of [['tea', '3.20'], ['coffee', '2.80'], ['cake', '4.50'], ['scone', '2.10']]) {
    await fetch(`${up.api}/api/v1/kv/namespaces/${namespace.id}/values/${k}?metadata=${encodeURIComponent(JSON.stringify({ currency: 'EUR' }))}`, {
      method: 'PUT', headers: { authorization: `Bearer ${up.token}` }, body: v!,
    });
  }
  await deployShop(up, 'v1', 'first version of the shop API', namespace.id);
  await deployShop(up, 'v2', 'prices come from KV', namespace.id);
  await api(up, 'POST', '/api/v1/routes', { pattern: 'localhost/shop/*', worker: 'shop' });
  await api(up, 'PUT', '/api/v1/workers/shop/secrets/PAYMENT_KEY', { value: 'not-shown' });
  await api(up, 'PUT', '/api/v1/workers/shop/schedules', { crons: ['*/15 * * * *'] });
  for (let i = 0; i < 40; i++) await edge(up, i % 9 === 0 ? '/shop/fail' : `/shop/items?item=${['tea', 'coffee', 'cake'][i % 3]}`);
  for (let i = 0; i < 12; i++) await edge(up, `/hello/${i}`);

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${up.api}/dashboard/`);
  await page.getByLabel('API token').fill(up.token.slice(0, 20));
  await shot(page, 'sign-in');
  await page.getByLabel('API token').fill(up.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Workers' }).waitFor();
  await shot(page, 'workers');

  await page.getByRole('link', { name: 'shop' }).click();
  await page.locator('.cm-content').waitFor();
  await page.getByLabel('Path').fill('/shop/items?item=cake');
  await page.getByRole('button', { name: 'Send to draft' }).click();
  await page.getByLabel('Response body').waitFor();
  await shot(page, 'editor-preview');

  await page.getByRole('link', { name: 'Versions' }).click();
  await page.getByRole('button', { name: 'Diff with previous' }).first().click();
  await page.locator('.d-add').first().waitFor();
  await shot(page, 'versions-diff');

  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { name: 'Secrets' }).waitFor();
  await shot(page, 'settings');

  await page.getByRole('link', { name: 'Logs' }).click();
  await page.getByText('Live: waiting for requests.').waitFor();
  for (let i = 0; i < 6; i++) await edge(up, i === 2 ? '/shop/fail' : `/shop/items?item=${['tea', 'scone'][i % 2]}`);
  await page.locator('ol.tail > li').nth(5).waitFor();
  await shot(page, 'logs');

  await page.getByRole('link', { name: 'Metrics' }).click();
  await page.locator('svg.chart').first().waitFor();
  await shot(page, 'metrics');

  await page.getByRole('link', { name: 'KV' }).click();
  await page.getByRole('link', { name: 'prices' }).click();
  await page.getByRole('button', { name: 'cake' }).click();
  await page.getByRole('heading', { name: 'cake' }).waitFor();
  await shot(page, 'kv');

  await page.getByRole('link', { name: 'Locations' }).click();
  await page.getByRole('heading', { name: 'Locations' }).waitFor();
  await shot(page, 'locations');

  const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  await phone.goto(`${up.api}/dashboard/`);
  await phone.getByLabel('API token').fill(up.token);
  await phone.getByRole('button', { name: 'Sign in' }).click();
  await phone.getByRole('heading', { name: 'Workers' }).waitFor();
  await phone.waitForTimeout(300);
  await phone.screenshot({ path: join(OUT, 'phone-workers.png') });
  console.log('docs/screenshots/phone-workers.png');
  await phone.goto(`${up.api}/dashboard/#/workers/shop/code`);
  await phone.locator('.cm-content').waitFor();
  await phone.waitForTimeout(300);
  await phone.screenshot({ path: join(OUT, 'phone-editor.png') });
  console.log('docs/screenshots/phone-editor.png');
} finally {
  await browser.close();
  await up.close();
}
