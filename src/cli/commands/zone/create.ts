// `atoll zone create HOSTNAME --origin URL`: a hostname the edge serves, with the origin
// that requests no route claims go to.

import { ApiClient } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { JSON_OPTION, platformCommand, print, printJson } from '../../platform.ts';
import { httpUrl } from '../../values.ts';

export const zoneCreateCommand: CommandSpec = platformCommand({
  name: 'zone create',
  summary: 'create a zone: a hostname and the origin behind it',
  args: [{ name: 'hostname', help: 'the hostname, such as example.com', required: true }],
  options: [
    { flags: '--origin <url>', help: 'where requests that no route claims go', parse: (v: string) => httpUrl(v).href, required: true },
    JSON_OPTION,
  ],
  examples: [{ command: 'zone create shop.example.com --origin https://origin.example.net', explain: 'serve shop.example.com, with routes to workers in front of its origin' }],
  async run([hostname], o) {
    const { zone } = await ApiClient.fromLogin().call('POST', '/zones', { json: { hostname, origin: o.origin } });
    if (o.json) printJson({ zone });
    else print(`Created zone ${zone.hostname} (${zone.id}), origin ${zone.origin}.`);
    return 0;
  },
});
