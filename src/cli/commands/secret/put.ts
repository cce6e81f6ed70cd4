// `atoll secret put NAME`: sets a secret of a worker. The value comes from stdin or a
// prompt that does not echo, never from the command line, and is never printed.

import { UserError } from '../../../runtime/errors.ts';
import { ApiClient, seg } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { platformCommand, print, readSecret, WORKER_OPTIONS, workerName } from '../../platform.ts';

export const secretPutCommand: CommandSpec = platformCommand({
  name: 'secret put',
  summary: 'set a secret of a worker (value from stdin or a prompt)',
  args: [{ name: 'name', help: 'the secret\'s name, as the worker sees it in env', required: true }],
  options: WORKER_OPTIONS,
  examples: [
    { command: 'secret put API_KEY', explain: 'type the value at the prompt (it is not shown)' },
    { command: 'secret put API_KEY --name hello < key.txt', explain: 'take the value from a file' },
  ],
  async run([secret], o) {
    const worker = workerName(o);
    const value = await readSecret(`Value of ${secret}: `);
    if (value === '') throw new UserError('empty value: pipe it on stdin (atoll secret put NAME < file) or type it at the prompt', 'usage');
    await ApiClient.fromLogin().call('PUT', `/workers/${seg(worker)}/secrets/${seg(secret!)}`, { json: { value } });
    print(`Set secret ${secret} of worker "${worker}"; deployed versions see it from their next isolate start.`);
    return 0;
  },
});
