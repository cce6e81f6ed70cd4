// `atoll up`: the embedded platform in one process: the control API (:8788), one edge
// location (:8787), state in ./.atoll. Runs until interrupted (Ctrl-C, SIGTERM). Every
// line it prints is one JSON object; errors and warnings go to stderr.

import { DEFAULT_MAX_ISOLATES } from '../../edge/defaults.ts';
import { UserError } from '../../runtime/errors.ts';
import type { CommandSpec } from '../command.ts';
import { setting as settingOf } from '../env-setting.ts';
import { jsonLog as log, untilSignal } from './long-running.ts';
import { integerIn, ipAddress, locationId, port } from '../values.ts';

const MiB = 1024 * 1024;
const setting = <T>(flag: T | undefined, env: string, parse: (v: string) => T, fallback: T): T => settingOf('up', flag, env, parse, fallback);


// A yes/no environment variable.
function flag(value: string): boolean {
  if (/^(true|1|yes)$/i.test(value)) return true;
  if (/^(false|0|no)$/i.test(value)) return false;
  throw new Error(`"${value}" is neither true nor false; set it to true or false`);
}

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
    { flags: '--tls-port <port>', help: 'also serve HTTPS on this port (default: $ATOLL_TLS_PORT); needs --tls-cert-dir', parse: port },
    { flags: '--tls-cert-dir <dir>', help: 'folder of NAME.crt and NAME.key files (PEM), one pair per hostname, reloaded when they change (default: $ATOLL_TLS_CERT_DIR)' },
    { flags: '--trust-forwarded-for', help: 'take client addresses from X-Forwarded-For, only behind a proxy you run (default: $ATOLL_TRUST_FORWARDED_FOR, true or false, else false)' },
    { flags: '--cache-memory-mb <n>', help: 'the edge cache\'s memory tier, MiB (default: $ATOLL_CACHE_MEMORY_MB, else 64)', parse: integerIn(1, 1_048_576, 'MiB') },
    { flags: '--cache-disk-mb <n>', help: 'the edge cache\'s disk tier under DATA/cache, MiB (default: $ATOLL_CACHE_DISK_MB, else 1024)', parse: integerIn(1, 16_777_216, 'MiB') },
  ],
  examples: [
    { command: 'up', explain: 'start the platform; the first start prints the admin API token once' },
    { command: 'up --port 8080 --api-port 9090 --data /var/lib/atoll', explain: 'on other ports, with the state elsewhere' },
    { command: 'up --tls-port 8443 --tls-cert-dir /etc/atoll/certs', explain: 'HTTPS too, with example.com.crt / example.com.key and others from that folder' },
  ],
  async run(_args, o) {
    const tlsPort = setting<number | null>(o.tlsPort, 'ATOLL_TLS_PORT', port, null);
    const certDir = setting<string | null>(o.tlsCertDir, 'ATOLL_TLS_CERT_DIR', (v) => v, null);
    if ((tlsPort === null) !== (certDir === null)) {
      throw new UserError(tlsPort === null
        ? 'atoll up: --tls-cert-dir names the certificates, but no --tls-port (or ATOLL_TLS_PORT) says where to serve HTTPS; give both, or neither.'
        : 'atoll up: --tls-port asks for HTTPS, but no --tls-cert-dir (or ATOLL_TLS_CERT_DIR) names the folder of NAME.crt / NAME.key files; give both, or neither.', 'usage');
    }
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
      trustForwardedFor: setting<boolean>(o.trustForwardedFor, 'ATOLL_TRUST_FORWARDED_FOR', flag, false),
      ...(tlsPort !== null && certDir !== null ? { tls: { port: tlsPort, certDir } } : {}),
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
