// `atoll deployments status`: the worker's current deployment: which versions get
// which share of its requests, and when and why it was made.

import { ApiClient, seg } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { UserError } from '../../../runtime/errors.ts';
import { JSON_OPTION, platformCommand, print, printJson, when, WORKER_OPTIONS, workerName } from '../../platform.ts';

export const deploymentsStatusCommand: CommandSpec = platformCommand({
  name: 'deployments status',
  summary: 'show which versions of a worker are serving, and at what share',
  args: [],
  options: [...WORKER_OPTIONS, JSON_OPTION],
  examples: [{ command: 'deployments status --name hello', explain: 'what "hello" is serving now' }],
  async run(_args, o) {
    const name = workerName(o);
    const { deployment } = await ApiClient.fromLogin().call('GET', `/workers/${seg(name)}`);
    if (o.json) {
      printJson({ deployment });
      return 0;
    }
    if (deployment === null) throw new UserError(`worker "${name}" has versions but none is deployed: deploy one with atoll rollback VERSION --name ${name}`, 'nothing_deployed');
    print([
      `Worker:     ${name}`,
      `Deployment: ${deployment.id}, ${when(deployment.created_at)} by token ${deployment.author_token_id}`,
      `Message:    ${deployment.message || '-'}`,
      'Versions:',
      ...deployment.versions.map((s: any) => `  ${String(s.percentage).padStart(3)}%  ${s.version_id}`),
    ].join('\n'));
    return 0;
  },
});
