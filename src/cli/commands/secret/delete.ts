// `atoll secret delete NAME`: removes a secret of a worker.

import { ApiClient, seg } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { platformCommand, print, WORKER_OPTIONS, workerName } from '../../platform.ts';

export const secretDeleteCommand: CommandSpec = platformCommand({
  name: 'secret delete',
  summary: 'delete a secret of a worker',
  args: [{ name: 'name', help: 'the secret\'s name', required: true }],
  options: WORKER_OPTIONS,
  examples: [{ command: 'secret delete API_KEY --name hello', explain: 'remove API_KEY from "hello"' }],
  async run([secret], o) {
    const worker = workerName(o);
    await ApiClient.fromLogin().call('DELETE', `/workers/${seg(worker)}/secrets/${seg(secret!)}`);
    print(`Deleted secret ${secret} of worker "${worker}".`);
    return 0;
  },
});
