// `atoll kv key get KEY`: prints the value as stored, bytes for bytes.

import { UserError } from '../../../../runtime/errors.ts';
import type { CommandSpec } from '../../../command.ts';
import { platformCommand, printJson } from '../../../platform.ts';
import { openTarget, TARGET_OPTIONS } from '../target.ts';

export const kvKeyGetCommand: CommandSpec = platformCommand({
  name: 'kv key get',
  summary: 'print the value of one key',
  args: [{ name: 'key', help: 'the key', required: true }],
  options: [...TARGET_OPTIONS, { flags: '--json', help: 'print {value, metadata, expiration} as JSON (the value as text)' }],
  examples: [
    { command: 'kv key get greeting --binding MY_KV', explain: 'print the value of "greeting"' },
    { command: 'kv key get avatar/1 --namespace-id kvn_0123 > avatar.png', explain: 'save a binary value to a file' },
  ],
  async run([key], o) {
    const target = await openTarget(o);
    try {
      const entry = await target.get(key!);
      if (entry === null) throw new UserError(`key "${key}" is not in ${target.label} (or it expired): list the keys with atoll kv key list`, 'not_found');
      if (o.json) {
        printJson({ key, value: new TextDecoder().decode(entry.value), metadata: entry.metadata === null ? null : JSON.parse(entry.metadata), expiration: entry.expiration });
      } else {
        process.stdout.write(entry.value);
      }
    } finally {
      await target.close();
    }
    return 0;
  },
});
