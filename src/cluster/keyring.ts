// The secrets key in distributed mode. Control processes encrypt secrets and edges
// decrypt them, so all of them need the same key; unlike `atoll up`, nothing here makes
// a key on first use (two processes would each make their own). The key comes from
// ATOLL_SECRETS_KEY (base64 32 bytes, comma-separated for rotation, the first current)
// or from `<data>/secrets.key` copied from another node.

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadKeyring, type Keyring } from '../control/secrets.ts';

export function loadClusterKeyring(dataDir: string, env: NodeJS.ProcessEnv = process.env): Keyring {
  const file = join(resolve(dataDir), 'secrets.key');
  if (!env.ATOLL_SECRETS_KEY && !existsSync(file)) {
    throw new Error(`no secrets key: set ATOLL_SECRETS_KEY to the same key on every control and edge process (make one with: openssl rand -base64 32), or copy the cluster's secrets.key to ${file}`);
  }
  return loadKeyring(dataDir, env);
}
