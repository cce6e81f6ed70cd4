import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrap } from '../../src/control/bootstrap.ts';
import { authenticate } from '../../src/control/tokens.ts';
import { openSqliteControl } from '../../src/store/control-sqlite.ts';

test('bootstrap: a start killed after the account but before the token gets its token next time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-bootstrap-'));
  const store = await openSqliteControl(dir);
  try {
    await store.createAccount({ id: 'acc_1', name: 'default', operator: true, createdAt: 1 });
    const first = await bootstrap(store);
    assert.ok(first);
    assert.equal(first.account.id, 'acc_1');
    const token = await authenticate(store, `Bearer ${first.token}`);
    assert.deepEqual(token.scopes, ['admin']);
    assert.equal(await bootstrap(store), null, 'the token is shown once');
    assert.equal((await store.listAccounts()).length, 1);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
