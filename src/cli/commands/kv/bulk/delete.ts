// `atoll kv bulk delete FILE`: deletes the keys a JSON file lists.

import type { CommandSpec } from '../../../command.ts';
import { platformCommand, print, progress } from '../../../platform.ts';
import { openTarget, TARGET_OPTIONS } from '../target.ts';
import { BATCH, readDeleteFile } from './file.ts';

export const kvBulkDeleteCommand: CommandSpec = platformCommand({
  name: 'kv bulk delete',
  summary: 'delete the keys listed in a JSON file',
  args: [{ name: 'file', help: 'a JSON array of key names', required: true }],
  options: TARGET_OPTIONS,
  examples: [{ command: 'kv bulk delete keys.json --namespace-id kvn_0123', explain: 'delete every key keys.json names' }],
  async run([file], o) {
    const keys = readDeleteFile(file!);
    const target = await openTarget(o);
    try {
      for (let i = 0; i < keys.length; i += BATCH) {
        if (keys.length > BATCH) progress(`Deleting keys ${i + 1}-${Math.min(i + BATCH, keys.length)} of ${keys.length}...`);
        await target.delete(keys.slice(i, i + BATCH));
      }
      print(`Deleted ${keys.length} key${keys.length === 1 ? '' : 's'} from ${target.label}.`);
    } finally {
      await target.close();
    }
    return 0;
  },
});
