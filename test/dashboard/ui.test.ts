// The dashboard in a real browser (Debian's chromium through playwright-core) against a
// real `atoll up`: sign in, write a worker in the editor, preview the draft, deploy it,
// see it at the edge, change a line and redeploy, diff and roll back, set a secret and a
// route, edit a KV value, watch a tail line arrive, and a read-only token with no Deploy.

import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, startUp, type Up } from './browser-harness.ts';

const UI_TIMEOUT = 30_000;

const worker = (tag: string) => `export default {
  async fetch(request) {
    const url = new URL(request.url);
    console.log('served ${tag} at ' + url.pathname);
    return new Response('${tag} ' + url.pathname);
  },
};
`;

/** A request to the edge for host `localhost` (the zone atoll up's demo made). */
function edge(up: Up, path: string): Promise<{ status: number; body: string }> {
  const url = new URL(path, up.edge);
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host: 'localhost' }, timeout: 30_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function edgeSays(up: Up, path: string, expected: string): Promise<void> {
  const deadline = Date.now() + UI_TIMEOUT;
  let last = '';
  while (Date.now() < deadline) {
    last = (await edge(up, path)).body;
    if (last === expected) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.equal(last, expected, `the edge did not answer "${expected}" at ${path}`);
}

/** Replaces the editor's whole text, as a paste would. */
async function setCode(page: Page, code: string): Promise<void> {
  await page.locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.insertText(code);
}

/** Loads a dashboard page afresh (a new document, so no state of the last test stays). */
async function open(page: Page, up: Up, route: string): Promise<void> {
  await page.goto(`${up.api}/dashboard/?load=${Date.now()}#${route}`);
}

async function signIn(page: Page, up: Up, token: string): Promise<void> {
  await page.goto(`${up.api}/dashboard/`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Workers' }).waitFor();
}

describe('dashboard in a browser', () => {
  let up: Up;
  let browser: Browser;
  let page: Page;

  before(async () => {
    up = await startUp();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(UI_TIMEOUT);
  });
  after(async () => {
    await browser?.close();
    await up?.close();
  });

  test('sign in, write a worker, preview it, deploy it, and the edge serves it', async () => {
    const ready = up.lines.find((l) => l.msg === 'atoll up ready')!;
    assert.equal(ready.dashboard, `${up.api}/dashboard/`, 'atoll up says where the dashboard is');
    await signIn(page, up, up.token);
    assert.equal(await page.getByRole('link', { name: 'hello' }).count(), 1, 'the demo worker is listed');
    await page.getByRole('link', { name: 'New worker' }).click();
    await page.getByLabel('Worker name').fill('greet');
    await setCode(page, worker('v1'));
    await page.getByText('No syntax errors.').waitFor();

    await page.getByLabel('Path').fill('/greet/preview');
    await page.getByRole('button', { name: 'Send to draft' }).click();
    await page.getByLabel('Response body').getByText('v1 /greet/preview').waitFor();
    await page.locator('.preview-out .console').getByText('served v1 at /greet/preview').waitFor();
    assert.equal((await edge(up, '/greet/preview')).body.startsWith('v1'), false, 'a preview deploys nothing');

    await page.getByLabel('Message').fill('first');
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.locator('.rollout').getByText('serving').first().waitFor();
    await page.getByRole('heading', { name: /Worker\s*greet/ }).waitFor();

    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Route pattern').fill('localhost/greet/*');
    await page.getByRole('button', { name: 'Add route' }).click();
    await page.getByText('Route localhost/greet/* added.').waitFor();
    await edgeSays(up, '/greet/a', 'v1 /greet/a');
  });

  test('a syntax error is shown before deploy and blocks it', async () => {
    await open(page, up, '/workers/greet/code');
    await setCode(page, 'export default { fetch() { return new Response("x"; } };\n');
    await page.getByText(/1 syntax error|syntax errors: fix/).waitFor();
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.getByText(/Not deployed: \d+ syntax error/).waitFor();
    await edgeSays(up, '/greet/a', 'v1 /greet/a');
  });

  test('change a line and deploy; diff the versions; roll back in one click', async () => {
    await open(page, up, '/workers/greet/code');
    await page.locator('.cm-content').filter({ hasText: "console.log('served v1 at '" }).waitFor();
    await setCode(page, worker('v2'));
    await page.getByLabel('Message').fill('second');
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.locator('.rollout').getByText('serving').first().waitFor();
    await edgeSays(up, '/greet/b', 'v2 /greet/b');

    await page.getByRole('link', { name: 'Versions' }).click();
    await page.getByRole('row', { name: /second/ }).getByRole('button', { name: 'Diff with previous' }).click();
    await page.locator('.d-del').getByText("console.log('served v1 at ' + url.pathname);").waitFor();
    await page.locator('.d-add').getByText("console.log('served v2 at ' + url.pathname);").waitFor();

    await page.getByRole('row', { name: /first/ }).getByRole('button', { name: /Roll back to/ }).click();
    await page.getByText(/Rolled back: .* is live\./).waitFor();
    await edgeSays(up, '/greet/c', 'v1 /greet/c');
  });

  test('several modules, one of them TypeScript: preview and deploy', async () => {
    await open(page, up, '/workers/new');
    await page.getByLabel('Worker name').fill('typed');
    await page.getByLabel('New module').fill('lib.ts');
    await page.getByRole('button', { name: 'Add module' }).click();
    await page.getByRole('tab', { name: 'lib.ts' }).waitFor();
    await setCode(page, 'export const twice = (n: number): number => n * 2;\n');
    await page.getByRole('tab', { name: /index\.js/ }).click();
    await setCode(page, 'import { twice } from "./lib.ts";\nexport default { fetch() { return new Response(String(twice(21))); } };\n');
    await page.getByText('No syntax errors.').waitFor();
    await page.getByRole('button', { name: 'Send to draft' }).click();
    await page.getByLabel('Response body').getByText('42', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.locator('.rollout').getByText('serving').first().waitFor();
    const auth = { authorization: `Bearer ${up.token}` };
    const { versions } = await (await fetch(`${up.api}/api/v1/workers/typed/versions`, { headers: auth })).json() as { versions: { id: string }[] };
    const src = await (await fetch(`${up.api}/api/v1/workers/typed/versions/${versions[0]!.id}/source`, { headers: auth })).json() as { modules: { name: string; type: string; content: string }[] };
    const lib = src.modules.find((m) => m.name === 'lib.ts')!;
    assert.equal(lib.type, 'esm');
    assert.doesNotMatch(lib.content, /: number/, 'deployed as JavaScript');
  });

  test('set a secret: the value is write-only and the worker gets it', async () => {
    await open(page, up, '/workers/greet/settings');
    await page.getByLabel('Secret name').fill('API_KEY');
    await page.getByLabel('Secret value').fill('s3cret-value');
    await page.getByRole('button', { name: 'Set secret' }).click();
    await page.getByText('Secret API_KEY set').waitFor();
    await page.locator('li', { hasText: 'API_KEY' }).getByText('(value hidden)').waitFor();
    assert.equal(await page.getByText('s3cret-value').count(), 0, 'the value is never shown');
    const r = await fetch(`${up.api}/api/v1/workers/greet/preview`, {
      method: 'POST', headers: { authorization: `Bearer ${up.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ main_module: 'index.js', modules: [{ name: 'index.js', content: 'export default { fetch(r, env) { return new Response(env.API_KEY) } }' }], request: { url: '/' } }),
    });
    assert.equal(((await r.json()) as { response: { body: string } }).response.body, 's3cret-value');
  });

  test('settings: a variable and a CPU limit make a new version; cron triggers are saved', async () => {
    await open(page, up, '/workers/greet/settings');
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByLabel(/Variable \d+ name/).last().fill('GREETING');
    await page.getByLabel(/Variable \d+ value/).last().fill('hola');
    await page.getByLabel('CPU ms per request').fill('75');
    await page.getByLabel('Message', { exact: true }).fill('greeting var');
    await page.getByRole('button', { name: 'Save as a new version and deploy' }).click();
    await page.getByText(/Saved and deployed as ver_/).waitFor();
    const auth = { authorization: `Bearer ${up.token}` };
    const { versions } = await (await fetch(`${up.api}/api/v1/workers/greet/versions`, { headers: auth })).json() as { versions: { message: string; bindings: unknown[]; limits: unknown }[] };
    assert.equal(versions[0]!.message, 'greeting var');
    assert.deepEqual(versions[0]!.bindings, [{ type: 'plain_text', name: 'GREETING', text: 'hola' }]);
    assert.deepEqual(versions[0]!.limits, { cpu_ms: 75 });
    await edgeSays(up, '/greet/d', 'v1 /greet/d');

    await page.getByLabel('Cron expressions').fill('*/5 * * * *');
    await page.getByRole('button', { name: 'Save triggers' }).click();
    await page.getByText('Saved 1 trigger.').waitFor();
    await page.getByText(/\*\/5 \* \* \* \* next run/).waitFor();
    await page.getByLabel('Cron expressions').fill('61 * * * *');
    await page.getByRole('button', { name: 'Save triggers' }).click();
    await page.getByText(/invalid_cron: .*61/).waitFor();
  });

  test('KV browser: make a key, find it, edit its value and metadata', async () => {
    await page.getByRole('link', { name: 'KV' }).click();
    await page.getByLabel('New namespace title').fill('demo-ns');
    await page.getByRole('button', { name: 'Create namespace' }).click();
    await page.getByRole('heading', { name: /demo-ns/ }).waitFor();
    await page.getByRole('button', { name: 'New key' }).click();
    await page.getByLabel('Key', { exact: true }).fill('greeting');
    await page.getByLabel('Value').fill('hello');
    await page.getByRole('button', { name: 'Save value' }).click();
    await page.getByText('Saved greeting.').waitFor();

    await page.getByLabel('Key prefix').fill('gree');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('button', { name: 'greeting' }).click();
    await page.getByRole('heading', { name: 'greeting' }).waitFor();
    assert.equal(await page.getByLabel('Value').inputValue(), 'hello');
    await page.getByLabel('Value').fill('hello again');
    await page.getByLabel('Metadata (JSON)').fill('{"lang":"en"}');
    await page.getByRole('button', { name: 'Save value' }).click();
    await page.getByText('Saved greeting.').waitFor();

    const auth = { authorization: `Bearer ${up.token}` };
    const { namespaces } = await (await fetch(`${up.api}/api/v1/kv/namespaces`, { headers: auth })).json() as { namespaces: { id: string; title: string }[] };
    const id = namespaces.find((n) => n.title === 'demo-ns')!.id;
    const value = await fetch(`${up.api}/api/v1/kv/namespaces/${id}/values/greeting`, { headers: auth });
    assert.equal(await value.text(), 'hello again');
    assert.equal(value.headers.get('atoll-kv-metadata'), '{"lang":"en"}');
  });

  test('live logs: a request at the edge appears as a tail line with its console output', async () => {
    await open(page, up, '/workers/greet/logs');
    await page.getByText('Live: waiting for requests.').waitFor();
    await edge(up, '/greet/tailed');
    await page.locator('ol.tail').getByText('GET http://localhost/greet/tailed 200').waitFor();
    await page.locator('ol.tail').getByText('served v1 at /greet/tailed').waitFor();
  });

  test('metrics and locations show the worker', async () => {
    await open(page, up, '/workers/greet/metrics');
    await page.getByText(/Last 60 minutes: [1-9]\d* requests/).waitFor();
    await page.locator('svg.chart').first().waitFor();
    await page.getByRole('link', { name: 'Locations' }).click();
    await page.getByRole('heading', { name: 'Locations' }).waitFor();
    await page.getByRole('row', { name: /greet/ }).waitFor();
  });

  test('bad form input is refused with a message that says what is wrong', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const p = await context.newPage();
      p.setDefaultTimeout(UI_TIMEOUT);
      await p.goto(`${up.api}/dashboard/`);
      await p.getByLabel('API token').fill('not-a-token');
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('alert').getByText('not an atoll API token').waitFor();
      await p.getByLabel('API token').fill(`atoll_${'A'.repeat(43)}`);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('alert').getByText('is not known').waitFor();
    } finally {
      await context.close();
    }

    await open(page, up, '/workers/new');
    await page.getByLabel('Worker name').fill('Bad Name!');
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    await page.getByText('Give the worker a name: 1 to 63 lower-case letters').waitFor();
    await page.getByLabel('New module').fill('../escape.js');
    await page.getByRole('button', { name: 'Add module' }).click();
    await page.getByText('"../escape.js" is not a module name').waitFor();

    await open(page, up, '/workers/greet/settings');
    await page.getByLabel('Secret name').fill('not valid');
    await page.getByLabel('Secret value').fill('x');
    await page.getByRole('button', { name: 'Set secret' }).click();
    await page.getByText(/invalid_secret_name: .*not a JavaScript identifier/).waitFor();
    await page.getByLabel('Route pattern').fill('elsewhere.example/*');
    await page.getByRole('button', { name: 'Add route' }).click();
    await page.getByText(/no_zone: /).waitFor();

    await page.getByRole('link', { name: 'KV' }).click();
    await page.getByRole('link', { name: 'demo-ns' }).click();
    await page.getByRole('button', { name: 'greeting' }).click();
    await page.getByLabel('Metadata (JSON)').fill('{not json');
    await page.getByRole('button', { name: 'Save value' }).click();
    await page.getByText('The metadata is not valid JSON.').waitFor();
  });

  test('keyboard: sign in and open a worker without a mouse; every control on the main screens is labelled', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const kb = await context.newPage();
      kb.setDefaultTimeout(UI_TIMEOUT);
      await kb.goto(`${up.api}/dashboard/`);
      await kb.getByLabel('API token').waitFor();
      await kb.keyboard.type(up.token);
      await kb.keyboard.press('Enter');
      await kb.getByRole('heading', { name: 'Workers' }).waitFor();
      let reached = false;
      for (let i = 0; i < 40 && !reached; i++) {
        await kb.keyboard.press('Tab');
        reached = await kb.evaluate<boolean>("document.activeElement?.textContent === 'greet'");
      }
      assert.ok(reached, 'Tab reaches the link to the worker');
      await kb.keyboard.press('Enter');
      await kb.locator('.cm-content').waitFor();

      // Runs in the page (as text: the test compiles without DOM types): each visible control and its accessible name.
      const unlabelled = () => kb.evaluate<string[]>(`[...document.querySelectorAll('input, select, textarea, button, a[href], [contenteditable="true"]')]
        .filter((el) => el.offsetParent !== null)
        .filter((el) => {
          const name = el.getAttribute('aria-label') ?? el.getAttribute('aria-labelledby')
            ?? (el.labels && el.labels.length > 0 ? el.labels[0].textContent : null) ?? (el.matches('button, a') ? el.textContent : null);
          return !name || name.trim() === '';
        })
        .map((el) => el.outerHTML.slice(0, 120))`);
      for (const route of ['/', '/workers/greet/code', '/workers/greet/versions', '/workers/greet/settings', '/workers/greet/logs', '/workers/greet/metrics', '/kv', '/locations']) {
        await open(kb, up, route);
        // Each view draws its controls with its heading, once its data is in.
        await kb.locator('main h1, main h2').first().waitFor();
        assert.deepEqual(await unlabelled(), [], `unlabelled controls on ${route}`);
      }
    } finally {
      await context.close();
    }
  });

  test('a read-only token sees no Deploy button; signing out ends the session', async () => {
    const made = await fetch(`${up.api}/api/v1/tokens`, {
      method: 'POST', headers: { authorization: `Bearer ${up.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'viewer', scopes: ['workers:read'] }),
    });
    const { token } = await made.json() as { token: string };
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const viewer = await context.newPage();
      viewer.setDefaultTimeout(UI_TIMEOUT);
      await signIn(viewer, up, token);
      assert.equal(await viewer.getByRole('link', { name: 'New worker' }).count(), 0);
      await viewer.getByRole('link', { name: 'greet' }).click();
      await viewer.getByText('This token is read-only').waitFor();
      assert.equal(await viewer.getByRole('button', { name: 'Deploy', exact: true }).count(), 0);
      await viewer.getByRole('link', { name: 'Versions' }).click();
      await viewer.getByRole('row', { name: /second/ }).waitFor();
      assert.equal(await viewer.getByRole('button', { name: /Roll back/ }).count(), 0);

      await viewer.getByRole('button', { name: 'Sign out' }).click();
      await viewer.getByLabel('API token').waitFor();
      await viewer.reload();
      await viewer.getByLabel('API token').waitFor();
      assert.equal((await context.cookies()).find((c) => c.name === 'atoll_session'), undefined, 'signing out removes the cookie');
    } finally {
      await context.close();
    }
  });
});
