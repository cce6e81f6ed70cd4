// `atoll route delete ID`: the pattern's requests go back to the zone's other routes or
// its origin.

import { ApiClient, seg } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { platformCommand, print } from '../../platform.ts';

export const routeDeleteCommand: CommandSpec = platformCommand({
  name: 'route delete',
  summary: 'delete a route',
  args: [{ name: 'id', help: 'the route id (route_...), from atoll route list', required: true }],
  options: [],
  examples: [{ command: 'route delete route_0123', explain: 'stop sending route_0123\'s requests to its worker' }],
  async run([id]) {
    await ApiClient.fromLogin().call('DELETE', `/routes/${seg(id!)}`);
    print(`Deleted route ${id}.`);
    return 0;
  },
});
