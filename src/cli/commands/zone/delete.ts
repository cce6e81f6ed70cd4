// `atoll zone delete ID`: removes a zone and its routes.

import { ApiClient, seg } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { platformCommand, print } from '../../platform.ts';

export const zoneDeleteCommand: CommandSpec = platformCommand({
  name: 'zone delete',
  summary: 'delete a zone and its routes',
  args: [{ name: 'id', help: 'the zone id (zone_...), from atoll zone list', required: true }],
  options: [],
  examples: [{ command: 'zone delete zone_0123', explain: 'stop serving zone_0123 and drop its routes' }],
  async run([id]) {
    await ApiClient.fromLogin().call('DELETE', `/zones/${seg(id!)}`);
    print(`Deleted zone ${id} and its routes.`);
    return 0;
  },
});
