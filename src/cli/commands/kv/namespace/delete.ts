// `atoll kv namespace delete ID`: removes a namespace and its keys (refused while a
// deployed version binds it).

import { ApiClient, seg } from '../../../api-client.ts';
import type { CommandSpec } from '../../../command.ts';
import { JSON_OPTION, platformCommand, print, printJson } from '../../../platform.ts';

export const kvNamespaceDeleteCommand: CommandSpec = platformCommand({
  name: 'kv namespace delete',
  summary: 'delete a KV namespace and every key in it',
  args: [{ name: 'id', help: 'the namespace id (kvn_...), from atoll kv namespace list', required: true }],
  options: [JSON_OPTION],
  examples: [{ command: 'kv namespace delete kvn_0123', explain: 'delete namespace kvn_0123 and its keys' }],
  async run([id], o) {
    const reply = await ApiClient.fromLogin().call('DELETE', `/kv/namespaces/${seg(id!)}`);
    if (o.json) printJson(reply);
    else print(`Deleted KV namespace ${id} and its keys.`);
    return 0;
  },
});
