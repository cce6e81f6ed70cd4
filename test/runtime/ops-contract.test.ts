import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ASYNC_OPS, SYNC_OPS } from '../../src/shared/ops.ts';
import { asyncOps, syncOps } from '../../src/runtime/ops/index.ts';

test('ops contract: the host implements every declared sync op, and nothing undeclared', () => {
  assert.deepEqual(Object.keys(syncOps).sort(), [...SYNC_OPS].sort());
});

test('ops contract: the host implements every declared async op, and nothing undeclared', () => {
  assert.deepEqual(Object.keys(asyncOps).sort(), [...ASYNC_OPS].sort());
});
