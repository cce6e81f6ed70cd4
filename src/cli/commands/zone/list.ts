// `atoll zone list`: the account's zones.

import { ApiClient } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { JSON_OPTION, platformCommand, print, printJson, table } from '../../platform.ts';

export const zoneListCommand: CommandSpec = platformCommand({
  name: 'zone list',
  summary: 'list your zones',
  args: [],
  options: [JSON_OPTION],
  examples: [{ command: 'zone list', explain: 'every zone with its origin' }],
  async run(_args, o) {
    const { zones } = await ApiClient.fromLogin().call('GET', '/zones');
    if (o.json) printJson({ zones });
    else print(table(['ID', 'HOSTNAME', 'ORIGIN'], zones.map((z: any) => [z.id, z.hostname, z.origin]), 'no zones (create one with atoll zone create HOSTNAME --origin URL)'));
    return 0;
  },
});
