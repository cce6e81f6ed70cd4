// `atoll secret list`: the names of a worker's secrets (values never leave the API).

import { ApiClient, seg } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { JSON_OPTION, platformCommand, print, printJson, table, when, WORKER_OPTIONS, workerName } from '../../platform.ts';

export const secretListCommand: CommandSpec = platformCommand({
  name: 'secret list',
  summary: 'list the names of a worker\'s secrets',
  args: [],
  options: [...WORKER_OPTIONS, JSON_OPTION],
  examples: [{ command: 'secret list --name hello', explain: 'which secrets "hello" has' }],
  async run(_args, o) {
    const worker = workerName(o);
    const { secrets } = await ApiClient.fromLogin().call('GET', `/workers/${seg(worker)}/secrets`);
    if (o.json) printJson({ secrets });
    else print(table(['NAME', 'UPDATED'], secrets.map((s: any) => [s.name, when(s.updated_at)]), `worker "${worker}" has no secrets`));
    return 0;
  },
});
