// `atoll versions list`: a worker's versions, newest first, marking the deployed ones.

import { ApiClient, seg } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { JSON_OPTION, platformCommand, print, printJson, table, when, WORKER_OPTIONS, workerName } from '../../platform.ts';

export const versionsListCommand: CommandSpec = platformCommand({
  name: 'versions list',
  summary: 'list a worker\'s versions, newest first',
  args: [],
  options: [...WORKER_OPTIONS, JSON_OPTION],
  examples: [
    { command: 'versions list', explain: 'the versions of the worker wrangler.toml names' },
    { command: 'versions list --name hello --json', explain: 'the versions of "hello", as JSON' },
  ],
  async run(_args, o) {
    const name = workerName(o);
    const api = ApiClient.fromLogin();
    const [{ versions }, { deployment }] = await Promise.all([
      api.call('GET', `/workers/${seg(name)}/versions`),
      api.call('GET', `/workers/${seg(name)}`),
    ]);
    if (o.json) {
      printJson({ versions });
      return 0;
    }
    const share = new Map<string, number>((deployment?.versions ?? []).map((s: { version_id: string; percentage: number }) => [s.version_id, s.percentage]));
    print(table(['VERSION', 'CREATED', 'TRAFFIC', 'MESSAGE'], versions.map((v: any) => [
      v.id, when(v.created_at), share.has(v.id) ? `${share.get(v.id)}%` : '-', v.message,
    ]), `worker "${name}" has no versions`));
    return 0;
  },
});
