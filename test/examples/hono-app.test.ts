// examples/hono-app: the notes API on Hono (checks in notes-api.ts), plus Hono's own
// secureHeaders middleware.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runExample } from './harness.ts';
import { notesApiSuite } from './notes-api.ts';

notesApiSuite('hono-app');

describe('examples/hono-app: secureHeaders', () => {
  it('GET /api/health: X-Content-Type-Options, X-Frame-Options and friends are set', async () => {
    const ex = await runExample('hono-app', { vars: { API_TOKEN: 't' } });
    try {
      const res = await ex.fetch('/api/health');
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
      assert.match(res.headers.get('strict-transport-security') ?? '', /max-age=/);
      await res.arrayBuffer();
    } finally {
      await ex.close();
    }
  });
});
