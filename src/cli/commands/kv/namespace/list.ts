// `atoll kv namespace list`: the account's KV namespaces.

import { ApiClient } from '../../../api-client.ts';
import type { CommandSpec } from '../../../command.ts';
import { JSON_OPTION, platformCommand, print, printJson, table, when } from '../../../platform.ts';

export const kvNamespaceListCommand: CommandSpec = platformCommand({
  name: 'kv namespace list',
  summary: 'list your KV namespaces',
  args: [],
  options: [JSON_OPTION],
  examples: [{ command: 'kv namespace list --json', explain: 'every namespace with its id, as JSON' }],
  async run(_args, o) {
    const { namespaces } = await ApiClient.fromLogin().call('GET', '/kv/namespaces');
    if (o.json) printJson({ namespaces });
    else print(table(['ID', 'TITLE', 'CREATED'], namespaces.map((n: any) => [n.id, n.title, when(n.created_at)]), 'no KV namespaces (create one with atoll kv namespace create TITLE)'));
    return 0;
  },
});
