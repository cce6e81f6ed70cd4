// `atoll dev [ENTRY]`: runs one worker locally, as `wrangler dev` does, reloading it when
// its files change. Runs until interrupted (Ctrl-C, SIGTERM).

import type { LogFormat } from '../../dev/log.ts';
import type { CommandSpec } from '../command.ts';
import { httpUrl, integerIn, ipAddress, keyValue, locationId, oneOf, port } from '../values.ts';

export const devCommand: CommandSpec = {
  name: 'dev',
  summary: 'run a worker locally, reloading it when its files change',
  args: [{ name: 'entry', help: 'the worker\'s main module (default: "main" in wrangler.toml / wrangler.json / wrangler.jsonc)', required: false }],
  options: [
    { flags: '-c, --config <file>', help: 'the config file to read (default: wrangler.json, wrangler.jsonc or wrangler.toml in this folder)' },
    { flags: '-e, --env <name>', help: 'use the config\'s [env.NAME] section, as wrangler does' },
    { flags: '--ip <address>', help: 'address to listen on', parse: ipAddress, default: '127.0.0.1' },
    { flags: '--port <port>', help: 'port to listen on; 0 picks a free one (the log says which)', parse: port, default: 8787 },
    { flags: '--var <KEY:VALUE>', help: 'a plain-text binding, on top of [vars] (repeatable)', parse: keyValue },
    { flags: '--origin <url>', help: 'the zone\'s origin: where fetch() to the worker\'s own host and passThroughOnException() go', parse: httpUrl },
    { flags: '--cpu-ms <n>', help: 'CPU time limit per request in ms (default: [limits] cpu_ms, else 50)', parse: integerIn(1, 300_000, 'milliseconds') },
    { flags: '--memory-mb <n>', help: 'heap limit of the worker\'s isolate in MB (default: [limits] memory_mb, else 128)', parse: integerIn(16, 16_384, 'megabytes') },
    { flags: '--trust-forwarded-for', help: 'take the client address from X-Forwarded-For (only behind a proxy you run)' },
    { flags: '--location <id>', help: 'request.cf.colo, the location the worker believes it runs in', parse: locationId, default: 'DEV' },
    { flags: '--persist-to <dir>', help: 'folder for local KV data (default: .atoll in the project folder)' },
    { flags: '--log-format <format>', help: 'pretty (for people) or json (one object per line, for tools)', parse: oneOf(['pretty', 'json'] as const), default: 'pretty' },
  ],
  examples: [
    { command: 'dev', explain: 'run the worker that wrangler.toml in this folder names' },
    { command: 'dev src/index.ts --port 0', explain: 'run src/index.ts on a free port' },
    { command: 'dev --env staging', explain: 'with the settings of [env.staging] in wrangler.toml' },
    { command: 'dev --var API_HOST:api.example.com --origin http://127.0.0.1:3000', explain: 'with a variable, in front of a local origin' },
  ],
  async run([entry], o) {
    // Loaded here, not at the top: the other commands' starts do not pay for the runtime.
    const { startDevServer } = await import('../../dev/server.ts');
    const server = await startDevServer({
      cwd: process.cwd(),
      entry: entry ?? null,
      config: o.config ?? null,
      env: o.env ?? null,
      ip: o.ip,
      port: o.port,
      vars: o.var ?? [],
      origin: o.origin ?? null,
      cpuMs: o.cpuMs ?? null,
      memoryMb: o.memoryMb ?? null,
      trustForwardedFor: o.trustForwardedFor === true,
      location: o.location,
      persistTo: o.persistTo ?? null,
      logFormat: o.logFormat as LogFormat,
    });
    await new Promise<void>((resolve) => {
      for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(s, () => resolve());
    });
    await server.close();
    return 0;
  },
};
