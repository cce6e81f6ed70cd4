// A store call through guarded(): NATS failures that mean "cannot answer now" and calls
// that never settle both become a 503-shaped StoreUnavailableError naming the store;
// other errors and results pass through unchanged.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { guarded } from '../../src/cluster/unavailable.ts';
import { StoreUnavailableError } from '../../src/store/unavailable.ts';

const store = {
  hangs: () => new Promise<never>(() => {}),
  times: () => Promise.reject(new Error('TIMEOUT')),
  breaks: () => Promise.reject(new TypeError('a bug')),
  answers: async () => 'value',
  sync: () => 42,
};

test('guarded: a call that never settles is a StoreUnavailableError at the deadline, naming the store', async () => {
  const g = guarded(store, 'the test bucket', 50);
  await assert.rejects(g.hangs(), (err: Error) => err instanceof StoreUnavailableError && /^the test bucket did not answer \(no answer within 0\.05 s\)/.test(err.message));
  await assert.rejects(g.times(), (err: Error) => err instanceof StoreUnavailableError && /the test bucket did not answer \(TIMEOUT\)/.test(err.message));
  await assert.rejects(g.breaks(), (err: Error) => err instanceof TypeError && err.message === 'a bug');
  assert.equal(await g.answers(), 'value');
  assert.equal(g.sync(), 42);
});
