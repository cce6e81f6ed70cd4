// `atoll token list`: the account's API tokens (never the tokens themselves).

import { ApiClient } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { JSON_OPTION, platformCommand, print, printJson, table, when } from '../../platform.ts';

function state(t: any): string {
  if (t.revoked_at !== null) return `revoked ${when(t.revoked_at)}`;
  if (t.expires_at !== null && Date.parse(t.expires_at) <= Date.now()) return `expired ${when(t.expires_at)}`;
  return t.expires_at === null ? 'active' : `active until ${when(t.expires_at)}`;
}

export const tokenListCommand: CommandSpec = platformCommand({
  name: 'token list',
  summary: 'list the API tokens of your account',
  args: [],
  options: [JSON_OPTION],
  examples: [{ command: 'token list', explain: 'every token with its scopes and state' }],
  async run(_args, o) {
    const { tokens } = await ApiClient.fromLogin().call('GET', '/tokens');
    if (o.json) printJson({ tokens });
    else print(table(['ID', 'NAME', 'SCOPES', 'STATE'], tokens.map((t: any) => [t.id, t.name, t.scopes.join(','), state(t)]), 'no tokens'));
    return 0;
  },
});
