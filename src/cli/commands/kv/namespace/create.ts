// `atoll kv namespace create TITLE`: a new KV namespace, and the config lines to bind it.

import { ApiClient } from '../../../api-client.ts';
import type { CommandSpec } from '../../../command.ts';
import { JSON_OPTION, platformCommand, print, printJson } from '../../../platform.ts';

export const kvNamespaceCreateCommand: CommandSpec = platformCommand({
  name: 'kv namespace create',
  summary: 'create a KV namespace',
  args: [{ name: 'title', help: 'its title, unique in your account', required: true }],
  options: [JSON_OPTION],
  examples: [{ command: 'kv namespace create sessions', explain: 'create "sessions" and print the binding to add to wrangler.toml' }],
  async run([title], o) {
    const { namespace } = await ApiClient.fromLogin().call('POST', '/kv/namespaces', { json: { title } });
    if (o.json) {
      printJson({ namespace });
      return 0;
    }
    const binding = title!.toUpperCase().replace(/[^A-Z0-9_$]/g, '_').replace(/^(\d)/, '_$1');
    print(`Created KV namespace "${namespace.title}" with id ${namespace.id}.\nBind it in wrangler.toml:\n\n[[kv_namespaces]]\nbinding = "${binding}"\nid = "${namespace.id}"`);
    return 0;
  },
});
