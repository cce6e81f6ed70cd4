// `atoll secrets-key rotate`: a new current key, and every secret re-encrypted under it.

import { ApiClient } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { JSON_OPTION, platformCommand, print, printJson } from '../../platform.ts';

export const secretsKeyRotateCommand: CommandSpec = platformCommand({
  name: 'secrets-key rotate',
  summary: 'make a new secrets key current and re-encrypt every secret (operator only)',
  args: [],
  options: [JSON_OPTION],
  examples: [
    { command: 'secrets-key rotate', explain: 'with a key file: a new key; with ATOLL_SECRETS_KEY: re-encrypt under its first key' },
  ],
  async run(_args, o) {
    const r = await ApiClient.fromLogin().call('POST', '/secrets-key/rotate');
    if (o.json) printJson(r);
    else {
      const retired = r.keys.filter((k: any) => !k.current && k.in_keyring).map((k: any) => k.id);
      print(`Current key ${r.current}; re-encrypted ${r.reencrypted} secret(s).${retired.length ? ` Retired keys no secret uses now: ${retired.join(', ')} (drop them with \`atoll secrets-key drop ID\`).` : ''}`);
    }
    return 0;
  },
});
