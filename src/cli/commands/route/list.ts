// `atoll route list`: the account's routes.

import { ApiClient } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { JSON_OPTION, platformCommand, print, printJson, table } from '../../platform.ts';

export const routeListCommand: CommandSpec = platformCommand({
  name: 'route list',
  summary: 'list your routes',
  args: [],
  options: [JSON_OPTION],
  examples: [{ command: 'route list --json', explain: 'every route with its zone and worker, as JSON' }],
  async run(_args, o) {
    const { routes } = await ApiClient.fromLogin().call('GET', '/routes');
    if (o.json) printJson({ routes });
    else print(table(['ID', 'PATTERN', 'WORKER'], routes.map((r: any) => [r.id, r.pattern, r.worker]), 'no routes (create one with atoll route create PATTERN --worker NAME)'));
    return 0;
  },
});
