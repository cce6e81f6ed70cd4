// `atoll up`'s cache size flags and variables: bad values are refused before anything starts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runAtoll } from '../cli/platform-harness.ts';

test('atoll up: --cache-memory-mb and --cache-disk-mb refuse what is not a size, naming the flag', async () => {
  const zero = await runAtoll(['up', '--cache-memory-mb', '0']);
  assert.equal(zero.code, 2);
  assert.match(zero.stderr, /--cache-memory-mb.*"0" is not a whole number of MiB from 1 to 1048576/);
  const words = await runAtoll(['up', '--cache-disk-mb', 'lots']);
  assert.equal(words.code, 2);
  assert.match(words.stderr, /--cache-disk-mb.*"lots" is not a whole number of MiB/);
  const env = await runAtoll(['up', '--port', '0', '--api-port', '0'], { env: { ATOLL_CACHE_DISK_MB: '1.5', ATOLL_DATA: '/nonexistent-atoll-never-created' } });
  assert.equal(env.code, 1);
  assert.match(env.stderr, /atoll up: ATOLL_CACHE_DISK_MB="1\.5": "1\.5" is not a whole number of MiB/);
});
