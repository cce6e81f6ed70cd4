// `atoll up`: the embedded platform in one process: the control API (:8788), one edge
// location (:8787), state in ./.atoll. Runs until interrupted (Ctrl-C, SIGTERM). Every
// line it prints is one JSON object; errors and warnings go to stderr.

import { DEFAULT_MAX_ISOLATES } from '../../edge/defaults.ts';
import type { CommandSpec } from '../command.ts';
import { setting as settingOf } from '../env-setting.ts';
import { EDGE_SERVING_OPTIONS, edgeServing } from '../edge-serving.ts';
import { jsonLog as log, untilSignal } from './long-running.ts';
import { integerIn, ipAddress, locationId, port } from '../values.ts';

const MiB = 1024 * 1024;
const setting = <T>(flag: T | undefined, env: string, parse: (v: string) => T, fallback: T): T => settingOf('up', flag, env, parse, fallback);


export const upCommand: CommandSpec = {
  name: 'up',
  summary: 'run the whole platform in one process: control API and one edge location',
  args: [],
  options: [
    { flags: '--port <port>', help: 'edge port (default: $ATOLL_PORT, else 8787); 0 picks a free one', parse: port },
    { flags: '--api-port <port>', help: 'control API port (default: $ATOLL_API_PORT, else 8788); 0 picks a free one', parse: port },
    { flags: '--ip <address>', help: 'address both listen on', parse: ipAddress, default: '127.0.0.1' },
    { flags: '--data <dir>', help: 'folder for the platform\'s state (default: $ATOLL_DATA, else .atoll in this folder)' },
    { flags: '--location <id>', help: 'this edge location\'s id (request.cf.colo)', parse: locationId, default: 'local' },
    { flags: '--max-isolates <n>', help: `isolates kept warm before the least recently used go (default ${DEFAULT_MAX_ISOLATES})`, parse: integerIn(1, 1_000_000, 'isolates') },
    { flags: '--allow-private-fetch', help: 'let workers fetch loopback and private addresses (zone origins always may)' },
    ...EDGE_SERVING_OPTIONS,
    { flags: '--cache-memory-mb <n>', help: 'the edge cache\'s memory tier, MiB (default: $ATOLL_CACHE_MEMORY_MB, else 64)', parse: integerIn(1, 1_048_576, 'MiB') },
    { flags: '--cache-disk-mb <n>', help: 'the edge cache\'s disk tier under DATA/cache, MiB (default: $ATOLL_CACHE_DISK_MB, else 1024)', parse: integerIn(1, 16_777_216, 'MiB') },
  ],
  examples: [
    { command: 'up', explain: 'start the platform; the first start prints the admin API token once' },
    { command: 'up --port 8080 --api-port 9090 --data /var/lib/atoll', explain: 'on other ports, with the state elsewhere' },
    { command: 'up --tls-port 8443 --tls-cert-dir /etc/atoll/certs', explain: 'HTTPS too, with example.com.crt / example.com.key and others from that folder' },
  ],
  async run(_args, o) {
    const serving = edgeServing('up', o);
    // Loaded here, not at the top: the other commands' starts do not pay for the runtime.
    const { startEmbedded } = await import('../../edge/embedded.ts');
    const platform = await startEmbedded({
      dataDir: setting<string>(o.data, 'ATOLL_DATA', (v) => v, '.atoll'),
      ip: o.ip,
      edgePort: setting<number>(o.port, 'ATOLL_PORT', port, 8787),
      apiPort: setting<number>(o.apiPort, 'ATOLL_API_PORT', port, 8788),
      location: o.location,
      maxIsolates: o.maxIsolates,
      allowPrivateFetch: o.allowPrivateFetch === true,
      cache: {
        maxMemoryBytes: setting<number>(o.cacheMemoryMb, 'ATOLL_CACHE_MEMORY_MB', integerIn(1, 1_048_576, 'MiB'), 64) * MiB,
        maxDiskBytes: setting<number>(o.cacheDiskMb, 'ATOLL_CACHE_DISK_MB', integerIn(1, 16_777_216, 'MiB'), 1024) * MiB,
      },
      ...serving,
      log,
    });
    if (platform.token) {
      log({
        level: 'info', msg: 'admin API token created; it is shown only this once, so keep it now (send it as "Authorization: Bearer TOKEN")',
        token: platform.token,
      });
    }
    log({
      level: 'info', msg: 'atoll up ready', edge: platform.edge.url, ...(platform.edge.tlsUrl ? { edgeTls: platform.edge.tlsUrl } : {}), api: platform.api.url, dashboard: `${platform.api.url}/dashboard/`, data: platform.dataDir, location: platform.edge.location,
      ...(platform.token ? { demo: `curl http://localhost:${platform.edge.port}/` } : {}),
    });
    await untilSignal();
    await platform.close();
    return 0;
  },
};
