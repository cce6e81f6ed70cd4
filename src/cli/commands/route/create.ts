// `atoll route create PATTERN --worker NAME`: sends the requests a pattern matches to a
// worker (docs/api.md says which route wins).

import { ApiClient } from '../../api-client.ts';
import type { CommandSpec } from '../../command.ts';
import { JSON_OPTION, platformCommand, print, printJson } from '../../platform.ts';

export const routeCreateCommand: CommandSpec = platformCommand({
  name: 'route create',
  summary: 'route requests matching a pattern to a worker',
  args: [{ name: 'pattern', help: 'host/path, such as shop.example.com/api/* or *.example.com/*', required: true }],
  options: [{ flags: '--worker <name>', help: 'the worker that serves them', required: true }, JSON_OPTION],
  examples: [{ command: 'route create "shop.example.com/api/*" --worker api', explain: 'send shop.example.com/api/... to the worker "api"' }],
  async run([pattern], o) {
    const { route } = await ApiClient.fromLogin().call('POST', '/routes', { json: { pattern, worker: o.worker } });
    if (o.json) printJson({ route });
    else print(`Created route ${route.pattern} -> ${route.worker} (${route.id}).`);
    return 0;
  },
});
