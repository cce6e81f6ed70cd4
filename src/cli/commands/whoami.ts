// `atoll whoami`: the account and token the stored login acts as.

import { ApiClient } from '../api-client.ts';
import type { CommandSpec } from '../command.ts';
import { JSON_OPTION, platformCommand, print, printJson, when } from '../platform.ts';

export const whoamiCommand: CommandSpec = platformCommand({
  name: 'whoami',
  summary: 'show the account and API token you are logged in with',
  args: [],
  options: [JSON_OPTION],
  examples: [{ command: 'whoami', explain: 'which account the other commands act on' }],
  async run(_args, o) {
    const api = ApiClient.fromLogin();
    const me = await api.call('GET', '/whoami');
    if (o.json) {
      printJson({ url: api.url, ...me });
      return 0;
    }
    const t = me.token;
    print([
      `API:     ${api.url}`,
      `Account: ${me.account.name} (${me.account.id})${me.account.operator ? ', the operator account' : ''}`,
      `Token:   ${t.name} (${t.id})`,
      `Scopes:  ${t.scopes.join(', ')}`,
      `Expires: ${t.expires_at === null ? 'never' : when(t.expires_at)}`,
    ].join('\n'));
    return 0;
  },
});
