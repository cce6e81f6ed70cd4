// Writes nats-server config files (and creates their JetStream data directories), for
// scripts/cluster-up, the test harness and anyone setting up a cluster by hand.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { natsServerConfig, type NatsServerSpec } from './nats-server-config.ts';

/**
 * Writes `<dir>/<server name>.conf` for each spec and returns the paths in order. Files
 * are mode 0600: they may hold passwords.
 */
export async function writeNatsConfigs(dir: string, specs: NatsServerSpec[]): Promise<string[]> {
  const texts = specs.map(natsServerConfig); // every spec checked before anything is written
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < specs.length; i++) {
    await mkdir(specs[i]!.storeDir, { recursive: true, mode: 0o700 });
    const path = join(dir, `${specs[i]!.name}.conf`);
    await writeFile(path, texts[i]!, { mode: 0o600 });
    paths.push(path);
  }
  return paths;
}
