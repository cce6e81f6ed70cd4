// `atoll cache purge --zone Z (--url U... | --prefix P... | --tag T... | --everything)`:
// removes cached responses of one zone at every location the platform reaches
// (POST /api/v1/zones/:id/purge_cache).

import { ApiClient, seg } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { JSON_OPTION, platformCommand, print, printJson } from '../../platform.ts';
import { UserError } from '../../../runtime/errors.ts';

const many = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** The zone id for --zone: an id as it is, a hostname looked up among the account's zones. */
async function zoneId(api: ApiClient, zone: string): Promise<string> {
  if (zone.startsWith('zone_')) return zone;
  const { zones } = await api.call('GET', '/zones') as { zones: { id: string; hostname: string }[] };
  const found = zones.find((z) => z.hostname === zone.toLowerCase());
  if (!found) throw new UserError(`no zone "${zone}" in this account; list them with atoll zone list`, 'not_found');
  return found.id;
}

export const cachePurgeCommand: CommandSpec = platformCommand({
  name: 'cache purge',
  summary: 'remove cached responses of a zone, by URL, prefix, tag or everything',
  args: [],
  options: [
    { flags: '--zone <zone>', help: 'the zone: its id (zone_...) or its hostname', required: true },
    { flags: '--url <url>', help: 'purge this URL, every variant (repeatable)', parse: many },
    { flags: '--prefix <prefix>', help: 'purge every URL starting with host/path (repeatable)', parse: many },
    { flags: '--tag <tag>', help: 'purge what carries this Cache-Tag (repeatable)', parse: many },
    { flags: '--everything', help: 'purge everything cached for the zone' },
    JSON_OPTION,
  ],
  examples: [
    { command: 'cache purge --zone shop.example.com --url https://shop.example.com/styles.css', explain: 'drop one URL' },
    { command: 'cache purge --zone shop.example.com --tag product-42 --tag product-43', explain: 'drop what the origin tagged with Cache-Tag: product-42 or product-43' },
    { command: 'cache purge --zone zone_0123 --everything', explain: 'drop everything cached for the zone' },
  ],
  async run(_args, o) {
    const kinds = [o.url && 'files', o.prefix && 'prefixes', o.tag && 'tags', o.everything && 'purge_everything'].filter(Boolean) as string[];
    if (kinds.length !== 1) throw new UserError('give exactly one of --url, --prefix, --tag or --everything (each of the first three may repeat)', 'usage');
    const body = o.everything ? { purge_everything: true } : { [kinds[0]!]: o.url ?? o.prefix ?? o.tag };
    const api = ApiClient.fromLogin();
    const id = await zoneId(api, o.zone);
    const result = await api.call('POST', `/zones/${seg(id)}/purge_cache`, { json: body }) as { entries: number | null };
    if (o.json) {
      printJson(result);
      return 0;
    }
    const items: string[] = o.url ?? o.prefix ?? o.tag ?? [];
    const noun = { files: ['URL', 'URLs'], prefixes: ['prefix', 'prefixes'], tags: ['tag', 'tags'] }[kinds[0] as 'files' | 'prefixes' | 'tags'];
    const what = o.everything ? 'everything' : `${items.length} ${noun[items.length === 1 ? 0 : 1]}`;
    const removed = result.entries === null ? '' : ` (${result.entries} cached ${result.entries === 1 ? 'entry' : 'entries'} removed)`;
    print(`Purged ${what} in zone ${id}${removed}.`);
    return 0;
  },
});
