// `atoll token revoke ID`: the token stops working at once.

import { ApiClient, seg } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { platformCommand, print } from '../../platform.ts';

export const tokenRevokeCommand: CommandSpec = platformCommand({
  name: 'token revoke',
  summary: 'revoke an API token at once',
  args: [{ name: 'id', help: 'the token id (tok_...), from atoll token list', required: true }],
  options: [],
  examples: [{ command: 'token revoke tok_0123', explain: 'stop token tok_0123 from working' }],
  async run([id]) {
    await ApiClient.fromLogin().call('DELETE', `/tokens/${seg(id!)}`);
    print(`Revoked token ${id}.`);
    return 0;
  },
});
