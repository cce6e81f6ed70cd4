// `atoll rollback [VERSION]`: points the worker back at once, at VERSION (100%) or at the
// versions of the newest earlier deployment that differs from the current one.

import { ApiClient, seg } from '../api-client.ts';
import type { CommandSpec } from '../command.ts';
import { JSON_OPTION, platformCommand, print, printJson, WORKER_OPTIONS, workerName } from '../platform.ts';

export const rollbackCommand: CommandSpec = platformCommand({
  name: 'rollback',
  summary: 'deploy an earlier version again, at once',
  args: [{ name: 'version', help: 'the version to go back to (default: the previous deployment\'s)', required: false }],
  options: [...WORKER_OPTIONS, { flags: '-m, --message <text>', help: 'why (kept with the deployment; default "rollback")' }, JSON_OPTION],
  examples: [
    { command: 'rollback', explain: 'undo the last deploy of the worker wrangler.toml names' },
    { command: 'rollback ver_0123 --name hello -m "bad release"', explain: 'put version ver_0123 of "hello" back, with a reason' },
  ],
  async run([version], o) {
    const name = workerName(o);
    const body = { ...(version !== undefined ? { version_id: version } : {}), ...(o.message !== undefined ? { message: o.message } : {}) };
    const { deployment } = await ApiClient.fromLogin().call('POST', `/workers/${seg(name)}/rollback`, { json: body });
    if (o.json) {
      printJson({ deployment });
      return 0;
    }
    const split = deployment.versions.map((s: any) => `${s.version_id} (${s.percentage}%)`).join(', ');
    print(`Rolled back ${name}: now serving ${split} (deployment ${deployment.id}).`);
    return 0;
  },
});
