// `atoll versions deploy VERSION[@PERCENT] [VERSION@PERCENT]`: points the worker at one
// version, or splits its traffic between two (a gradual rollout), as
// `wrangler versions deploy` does. The API checks the versions and that the
// percentages add up to 100; the shape of each argument is checked here first.

import { ApiClient, seg } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { UserError } from '../../../runtime/errors.ts';
import { JSON_OPTION, platformCommand, print, printJson, WORKER_OPTIONS, workerName } from '../../platform.ts';

const SPEC = /^([A-Za-z0-9_-]{1,100})(?:@(\d{1,3})%?)?$/;

/** `ver_x@10` → { version_id, percentage }; a lone version without a percentage takes 100. */
export function parseVersionSpecs(specs: string[]): { version_id: string; percentage: number }[] {
  if (specs.length === 0 || specs.length > 2) {
    throw new UserError(`give one version, or two with percentages (e.g. ver_new@10 ver_old@90), not ${specs.length}`, 'usage');
  }
  return specs.map((spec) => {
    const m = SPEC.exec(spec);
    if (!m) throw new UserError(`"${spec.slice(0, 120)}" is not VERSION or VERSION@PERCENT (e.g. ver_0123@10)`, 'usage');
    if (m[2] === undefined && specs.length === 2) throw new UserError(`"${spec}" needs a percentage when two versions share the traffic (e.g. ${spec}@50)`, 'usage');
    const percentage = m[2] === undefined ? 100 : Number(m[2]);
    if (percentage < 1 || percentage > 100) throw new UserError(`"${spec}": the percentage must be from 1 to 100`, 'usage');
    return { version_id: m[1]!, percentage };
  });
}

export const versionsDeployCommand: CommandSpec = platformCommand({
  name: 'versions deploy',
  summary: 'serve one version, or split traffic between two (gradual rollout)',
  args: [{ name: 'versions...', help: 'VERSION, or two of VERSION@PERCENT adding up to 100', required: true }],
  options: [...WORKER_OPTIONS, { flags: '-m, --message <text>', help: 'why (kept with the deployment)' }, JSON_OPTION],
  examples: [
    { command: 'versions deploy ver_new@10 ver_old@90 --name hello', explain: 'send 10% of the traffic of "hello" to ver_new' },
    { command: 'versions deploy ver_new --name hello -m "looks good"', explain: 'then all of it' },
  ],
  async run(args, o) {
    const specs = (args as unknown as (string | string[])[]).flat();
    const versions = parseVersionSpecs(specs);
    const name = workerName(o);
    const { deployment } = await ApiClient.fromLogin().call('POST', `/workers/${seg(name)}/deployments`, { json: { versions, message: o.message ?? '' } });
    if (o.json) {
      printJson({ deployment });
      return 0;
    }
    const split = deployment.versions.map((s: any) => `${s.version_id} (${s.percentage}%)`).join(', ');
    print(`Deployed ${name}: now serving ${split} (deployment ${deployment.id}).`);
    return 0;
  },
});
