// `atoll kv key list`: the keys of a namespace, every page of them.

import type { CommandSpec } from '../../../command.ts';
import { JSON_OPTION, platformCommand, print, printJson } from '../../../platform.ts';
import { openTarget, TARGET_OPTIONS } from '../target.ts';

export const kvKeyListCommand: CommandSpec = platformCommand({
  name: 'kv key list',
  summary: 'list the keys of a KV namespace',
  args: [],
  options: [...TARGET_OPTIONS, { flags: '--prefix <text>', help: 'only keys that start with this' }, JSON_OPTION],
  examples: [
    { command: 'kv key list --binding MY_KV --prefix user/', explain: 'the keys under user/' },
    { command: 'kv key list --namespace-id kvn_0123 --json', explain: 'keys with expiration and metadata, as JSON' },
  ],
  async run(_args, o) {
    const target = await openTarget(o);
    try {
      const keys = await target.list(o.prefix ?? '');
      if (o.json) printJson({ keys });
      else print(keys.length === 0 ? `no keys${o.prefix ? ` starting with "${o.prefix}"` : ''} in ${target.label}` : keys.map((k) => k.name).join('\n'));
    } finally {
      await target.close();
    }
    return 0;
  },
});
