// `atoll edge`: one edge node of one location in distributed mode (src/cluster). It
// serves from its local copy at once and follows the cluster through NATS when it can
// reach it. Runs until interrupted; every line it prints is one JSON object.

import { loadClusterKeyring } from '../../cluster/keyring.ts';
import { DEFAULT_MAX_ISOLATES } from '../../edge/defaults.ts';
import { UserError } from '../../runtime/errors.ts';
import type { CommandSpec } from '../command.ts';
import { EDGE_SERVING_OPTIONS, edgeServing } from '../edge-serving.ts';
import { requiredSetting, setting } from '../env-setting.ts';
import { integerIn, ipAddress, locationId, natsUrls, port } from '../values.ts';
import { jsonLog, untilSignal } from './long-running.ts';

export const edgeCommand: CommandSpec = {
  name: 'edge',
  summary: 'run an edge node of one location, fed by a NATS JetStream cluster',
  args: [],
  options: [
    { flags: '--nats <urls>', help: 'NATS servers, comma-separated (default: $ATOLL_NATS)', parse: natsUrls },
    { flags: '--location <id>', help: 'this node\'s location id, request.cf.colo (default: $ATOLL_LOCATION)', parse: locationId },
    { flags: '--node <id>', help: 'this node\'s id within its location (default: one kept in the data folder)', parse: locationId },
    { flags: '--port <port>', help: 'edge port (default: $ATOLL_PORT, else 8787); 0 picks a free one', parse: port },
    { flags: '--ip <address>', help: 'address to listen on', parse: ipAddress, default: '127.0.0.1' },
    { flags: '--data <dir>', help: 'folder for the local copy and secrets.key (default: $ATOLL_DATA, else .atoll-edge)' },
    { flags: '--max-isolates <n>', help: `isolates kept warm before the least recently used go (default ${DEFAULT_MAX_ISOLATES})`, parse: integerIn(1, 1_000_000, 'isolates') },
    { flags: '--allow-private-fetch', help: 'let workers fetch loopback and private addresses (zone origins always may)' },
    ...EDGE_SERVING_OPTIONS,
  ],
  examples: [
    { command: 'edge --nats nats://10.0.0.1:4222,nats://10.0.0.2:4222 --location ams', explain: 'an edge in location "ams"; ATOLL_SECRETS_KEY holds the cluster\'s secrets key' },
  ],
  async run(_args, o) {
    const data = setting<string>('edge', o.data, 'ATOLL_DATA', (v) => v, '.atoll-edge');
    const serving = edgeServing('edge', o);
    let keyring;
    try {
      keyring = loadClusterKeyring(data);
    } catch (err) {
      throw new UserError(`atoll edge: ${(err as Error).message}.`, 'secrets_key');
    }
    // Loaded here, not at the top: the other commands' starts do not pay for the runtime.
    const { startClusterEdge } = await import('../../cluster/edge-node.ts');
    const node = await startClusterEdge({
      nats: requiredSetting('edge', o.nats, '--nats', 'ATOLL_NATS', natsUrls),
      location: requiredSetting('edge', o.location, '--location', 'ATOLL_LOCATION', locationId),
      node: o.node,
      dataDir: data,
      ip: o.ip,
      port: setting<number>('edge', o.port, 'ATOLL_PORT', port, 8787),
      keyring,
      maxIsolates: o.maxIsolates,
      allowPrivateFetch: o.allowPrivateFetch === true,
      ...serving,
      log: jsonLog,
    });
    jsonLog({ level: 'info', msg: 'atoll edge ready', edge: node.edge.url, ...(node.edge.tlsUrl ? { edgeTls: node.edge.tlsUrl } : {}), location: node.edge.location, node: node.node, data });
    await untilSignal();
    await node.close();
    return 0;
  },
};
