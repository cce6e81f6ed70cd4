// `atoll kv bulk put FILE`: writes many keys from a JSON file (wrangler's format).

import type { CommandSpec } from '../../../command.ts';
import { platformCommand, print, progress } from '../../../platform.ts';
import { openTarget, TARGET_OPTIONS } from '../target.ts';
import { BATCH, readPutFile } from './file.ts';

export const kvBulkPutCommand: CommandSpec = platformCommand({
  name: 'kv bulk put',
  summary: 'write many keys from a JSON file',
  args: [{ name: 'file', help: 'a JSON array of {key, value, base64?, expiration?, expiration_ttl?, metadata?}', required: true }],
  options: TARGET_OPTIONS,
  examples: [{ command: 'kv bulk put data.json --binding MY_KV', explain: 'write every pair in data.json' }],
  async run([file], o) {
    const pairs = readPutFile(file!);
    const target = await openTarget(o);
    try {
      // Each batch is all-or-nothing; a failed batch leaves the earlier ones written.
      for (let i = 0; i < pairs.length; i += BATCH) {
        if (pairs.length > BATCH) progress(`Writing keys ${i + 1}-${Math.min(i + BATCH, pairs.length)} of ${pairs.length}...`);
        await target.put(pairs.slice(i, i + BATCH));
      }
      print(`Wrote ${pairs.length} key${pairs.length === 1 ? '' : 's'} to ${target.label}.`);
    } finally {
      await target.close();
    }
    return 0;
  },
});
