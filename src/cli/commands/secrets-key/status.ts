// `atoll secrets-key status`: the keys that encrypt secrets at rest, and how many secrets
// each still encrypts (a key at 0 that is not current can be dropped).

import { ApiClient } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { JSON_OPTION, platformCommand, print, printJson, table } from '../../platform.ts';

export const secretsKeyStatusCommand: CommandSpec = platformCommand({
  name: 'secrets-key status',
  summary: 'show the keys that encrypt secrets at rest (operator only)',
  args: [],
  options: [JSON_OPTION],
  examples: [{ command: 'secrets-key status', explain: 'which key is current and how many secrets each key encrypts' }],
  async run(_args, o) {
    const status = await ApiClient.fromLogin().call('GET', '/secrets-key');
    if (o.json) printJson(status);
    else print(`${table(['KEY', 'CURRENT', 'SECRETS'], status.keys.map((k: any) => [k.id, k.current ? 'yes' : '', String(k.secrets)]), 'no keys')}\nKeys from: ${status.source === 'file' ? 'the key file (<data>/secrets.key)' : 'ATOLL_SECRETS_KEY'}.`);
    return 0;
  },
});
