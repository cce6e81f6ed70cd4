// PUT/GET /api/v1/workers/:name/schedules over real HTTP against the control API with
// its SQLite store: set, read, replace, clear; every bad input answered with the error
// shape and a message that names the expression and the field.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertError, secondAccount, startHarness, upload, type Harness } from './harness.ts';

describe('Schedules API', () => {
  let h: Harness;
  const put = (body: unknown, worker = 'ticker', token?: string) => h.call('PUT', `/api/v1/workers/${worker}/schedules`, typeof body === 'string' ? { body, token, headers: { 'content-type': 'application/json' } } : { json: body, token });

  before(async () => {
    h = await startHarness();
    await upload(h, 'ticker');
  });
  after(() => h?.close());

  test('Schedules: GET: a worker with none has an empty list', async () => {
    const r = await h.call('GET', '/api/v1/workers/ticker/schedules');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { crons: [], schedules: [] });
  });

  test('Schedules: PUT: stores the list (trimmed), GET reads it with each next run; [] clears it', async () => {
    const r = await put({ crons: ['*/5 * * * *', '  0 9 * * MON-FRI '] });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.crons, ['*/5 * * * *', '0 9 * * MON-FRI']);
    const g = await h.call('GET', '/api/v1/workers/ticker/schedules');
    assert.deepEqual(g.body.crons, ['*/5 * * * *', '0 9 * * MON-FRI']);
    const next = Date.parse(g.body.schedules[0].next_run);
    assert.ok(next > Date.now() && next <= Date.now() + 5 * 60_000, g.body.schedules[0].next_run);
    assert.equal(new Date(next).getUTCMinutes() % 5, 0);
    assert.deepEqual((await put({ crons: ['0 0 * * *'] })).body.crons, ['0 0 * * *'], 'PUT replaces');
    assert.deepEqual((await put({ crons: [] })).body, { crons: [], schedules: [] });
    assert.deepEqual((await h.call('GET', '/api/v1/workers/ticker/schedules')).body.crons, []);
  });

  test('Schedules: PUT: a bad expression is 400 invalid_cron naming the expression, its place and the field; nothing changes', async () => {
    await put({ crons: ['*/10 * * * *'] });
    assertError(await put({ crons: ['* * * * *', '61 * * * *'] }), 400, 'invalid_cron', 'crons[1]: cron "61 * * * *": the minute field has 61, out of range');
    assertError(await put({ crons: ['* 25 * * *'] }), 400, 'invalid_cron', /the hour field has 25, out of range/);
    assertError(await put({ crons: ['* * * * 8'] }), 400, 'invalid_cron', /the day of week field has 8/);
    assertError(await put({ crons: ['* * * *'] }), 400, 'invalid_cron', /has 4 fields; write five/);
    assertError(await put({ crons: ['0 0 31 2 *'] }), 400, 'invalid_cron', /never fires/);
    assertError(await put({ crons: [5] }), 400, 'invalid_cron', /must be a string/);
    assertError(await put({ crons: ['0 * * * *', ' 0 * * * *'] }), 400, 'invalid_cron', /listed twice/);
    assert.deepEqual((await h.call('GET', '/api/v1/workers/ticker/schedules')).body.crons, ['*/10 * * * *']);
  });

  test('Schedules: PUT: bad bodies are 400 with the error shape', async () => {
    assertError(await put('{"crons": ['), 400, 'invalid_json');
    assertError(await put('[]'), 400, 'invalid_json', /JSON object/);
    assertError(await put({}), 400, 'invalid_field', /"crons" must be an array/);
    assertError(await put({ crons: '* * * * *' }), 400, 'invalid_field', /"crons" must be an array/);
    assertError(await put({ crons: [], cron: [] }), 400, 'invalid_field', /unknown field "cron"/);
    assertError(await put({ crons: Array.from({ length: 11 }, (_, i) => `${i} * * * *`) }), 400, 'invalid_field', /at most 10/);
    assertError(await h.call('PUT', '/api/v1/workers/ticker/schedules', { body: new Uint8Array([0x7b, 0xff, 0x7d]) }), 400, 'invalid_utf8');
  });

  test('Schedules: unknown or badly named worker, missing scope, another account: refused', async () => {
    assertError(await put({ crons: [] }, 'nope'), 404, 'not_found', /worker "nope" does not exist/);
    assertError(await h.call('GET', '/api/v1/workers/nope/schedules'), 404, 'not_found');
    assertError(await put({ crons: [] }, 'Bad%20Name'), 400, 'invalid_worker_name');
    assertError(await h.call('GET', '/api/v1/workers/ticker/schedules', { token: null }), 401, 'unauthorized');
    const reader = await h.call('POST', '/api/v1/tokens', { json: { name: 'r', scopes: ['workers:read'] } });
    assertError(await put({ crons: [] }, 'ticker', reader.body.token), 403, 'forbidden', /workers:write/);
    const other = await secondAccount(h);
    assertError(await h.call('GET', '/api/v1/workers/ticker/schedules', { token: other.token }), 404, 'not_found');
    assertError(await put({ crons: ['* * * * *'] }, 'ticker', other.token), 404, 'not_found');
  });

  // Last: the server closes the connection after refusing a body this large.
  test('Schedules: PUT: a body over the JSON limit is 413', async () => {
    assertError(await put({ crons: ['x'.repeat(2 * 1024 * 1024)] }), 413, 'payload_too_large');
  });
});
