// `atoll control`: a stateless control process in distributed mode (src/cluster): the
// same /api/v1 REST API as `atoll up`, with the state in NATS JetStream. Several can run
// behind any load balancer. Runs until interrupted; every line it prints is JSON.

import { loadClusterKeyring } from '../../cluster/keyring.ts';
import { UserError } from '../../runtime/errors.ts';
import { redactNatsUrl } from '../../cluster/nats-auth.ts';
import type { CommandSpec } from '../command.ts';
import { requiredSetting, setting } from '../env-setting.ts';
import { ipAddress, natsUrls, port } from '../values.ts';
import { jsonLog, untilSignal } from './long-running.ts';

export const controlCommand: CommandSpec = {
  name: 'control',
  summary: 'run a control API process, its state in a NATS JetStream cluster',
  args: [],
  options: [
    { flags: '--nats <urls>', help: 'NATS servers, comma-separated (default: $ATOLL_NATS)', parse: natsUrls },
    { flags: '--api-port <port>', help: 'control API port (default: $ATOLL_API_PORT, else 8788); 0 picks a free one', parse: port },
    { flags: '--ip <address>', help: 'address to listen on', parse: ipAddress, default: '127.0.0.1' },
    { flags: '--data <dir>', help: 'folder holding secrets.key, when ATOLL_SECRETS_KEY is not set (default: $ATOLL_DATA, else .atoll)' },
  ],
  examples: [
    { command: 'control --nats nats://10.0.0.1:4222,nats://10.0.0.2:4222,nats://10.0.0.3:4222', explain: 'a control process; the first one to start prints the admin API token once' },
  ],
  async run(_args, o) {
    const data = setting<string>('control', o.data, 'ATOLL_DATA', (v) => v, '.atoll');
    const nats = requiredSetting('control', o.nats, '--nats', 'ATOLL_NATS', natsUrls);
    let keyring;
    try {
      keyring = loadClusterKeyring(data);
    } catch (err) {
      throw new UserError(`atoll control: ${(err as Error).message}.`, 'secrets_key');
    }
    const apiPort = setting<number>('control', o.apiPort, 'ATOLL_API_PORT', port, 8788);
    let control;
    try {
      // Loaded here, not at the top: the other commands' starts do not pay for it.
      const { startClusterControl } = await import('../../cluster/control-node.ts');
      control = await startClusterControl({ nats, ip: o.ip, apiPort, keyring, log: jsonLog });
    } catch (err) {
      const e = ((err as Error).cause ?? err) as NodeJS.ErrnoException;
      if (e.code === 'EADDRINUSE') throw new UserError(`atoll control: port ${apiPort} is in use; pick another with --api-port (0 picks a free one).`, 'listen_failed');
      throw new UserError(`atoll control: ${(err as Error).message}.`, 'control_failed');
    }
    if (control.token) {
      jsonLog({ level: 'info', msg: 'admin API token created; it is shown only this once, so keep it now (send it as "Authorization: Bearer TOKEN")', token: control.token });
    }
    jsonLog({ level: 'info', msg: 'atoll control ready', api: control.api.url, nats: nats.map(redactNatsUrl) });
    await untilSignal();
    await control.close();
    return 0;
  },
};
