// `atoll secrets-key drop ID`: remove a retired key from the key file.

import { ApiClient, seg } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { platformCommand, print } from '../../platform.ts';

export const secretsKeyDropCommand: CommandSpec = platformCommand({
  name: 'secrets-key drop',
  summary: 'remove a retired secrets key that no secret uses (operator only)',
  args: [{ name: 'id', help: 'the key id, from atoll secrets-key status', required: true }],
  options: [],
  examples: [{ command: 'secrets-key drop 0123456789abcdef', explain: 'forget an old key after a rotation' }],
  async run([id]) {
    await ApiClient.fromLogin().call('DELETE', `/secrets-key/keys/${seg(id!)}`);
    print(`Dropped secrets key ${id}.`);
    return 0;
  },
});
