// `atoll kv key delete KEY`: removes one key (absent keys are no error, as in Workers KV).

import type { CommandSpec } from '../../../command.ts';
import { platformCommand, print } from '../../../platform.ts';
import { openTarget, TARGET_OPTIONS } from '../target.ts';

export const kvKeyDeleteCommand: CommandSpec = platformCommand({
  name: 'kv key delete',
  summary: 'delete one key',
  args: [{ name: 'key', help: 'the key', required: true }],
  options: TARGET_OPTIONS,
  examples: [{ command: 'kv key delete greeting --binding MY_KV', explain: 'delete "greeting"' }],
  async run([key], o) {
    const target = await openTarget(o);
    try {
      await target.delete([key!]);
      print(`Deleted "${key}" from ${target.label}.`);
    } finally {
      await target.close();
    }
    return 0;
  },
});
