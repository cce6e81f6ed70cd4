import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createControlApp } from '../../src/control/api/app.ts';

test('docs/api.md: documents every endpoint the API serves, each with a curl example', () => {
  const docs = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
  const app = createControlApp({} as Parameters<typeof createControlApp>[0]);
  const endpoints = app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path.replace(/\{\.\+\}$/, '')}`);
  assert.ok(endpoints.length >= 30, `only ${endpoints.length} endpoints found`);
  const sections = docs.split('\n### ').slice(1);
  for (const endpoint of new Set(endpoints)) {
    const section = sections.find((s) => s.startsWith(`${endpoint} (`) || s.startsWith(`${endpoint}\n`));
    assert.ok(section, `docs/api.md has no "### ${endpoint}" section`);
    assert.match(section, /```sh\n[^`]*\bcurl /, `"### ${endpoint}" has no curl example`);
  }
});
