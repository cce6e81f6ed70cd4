// A distributed atoll in one test process: a real nats-server (from test/helpers/nats.ts),
// a control process's parts (startClusterControl) on an ephemeral port, and edge nodes
// (startClusterEdge), each with its own data folder, sharing one secrets key.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startClusterControl, type ClusterControl } from '../../src/cluster/control-node.ts';
import { startClusterEdge, type ClusterEdge } from '../../src/cluster/edge-node.ts';
import { loadKeyring, type Keyring } from '../../src/control/secrets.ts';
import { apiCaller, type Harness } from '../control/harness.ts';
import { startNatsCluster, type NatsCluster } from '../helpers/nats.ts';

/** Test clusters give up on a rollout whose deployment never appears after this long. */
export const ROLLOUT_UNSTARTED_MS = 6000;

export interface TestCluster {
  nats: NatsCluster;
  control: ClusterControl;
  /** Calls the control API with the admin token (a Harness, for test/control helpers). */
  h: Harness;
  edges: ClusterEdge[];
  keyring: Keyring;
  dir: string;
  logs: Record<string, unknown>[];
  /** Starts an edge (again) on the data folder of `name`. */
  startEdge(location: string, name?: string): Promise<ClusterEdge>;
  close(): Promise<void>;
}

export async function startTestCluster(options: { locations: string[]; servers?: 1 | 3 }): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-cluster-'));
  const logs: Record<string, unknown>[] = [];
  const log = (f: Record<string, unknown>) => { logs.push(f); };
  const keyring = loadKeyring(dir, {});
  const nats = await startNatsCluster({ servers: options.servers ?? 1 });
  const edges: ClusterEdge[] = [];
  let control: ClusterControl | null = null;
  const close = async () => {
    for (const e of edges) await e.close().catch(() => {});
    await control?.close().catch(() => {});
    await nats.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    control = await startClusterControl({ nats: nats.urls, ip: '127.0.0.1', apiPort: 0, keyring, log, rolloutUnstartedMs: ROLLOUT_UNSTARTED_MS });
    const token = control.token!;
    const api = control.api;
    const call = apiCaller(api.url, token);
    const h = { call, token, api } as unknown as Harness;
    const startEdge = async (location: string, name = location) => {
      const edge = await startClusterEdge({
        nats: nats.urls, location, node: name, dataDir: join(dir, `edge-${name}`), ip: '127.0.0.1', port: 0, keyring,
        allowPrivateFetch: true, heartbeatMs: 200, cronLeaseMs: 3000, bundlePruneDelayMs: 300, log,
      });
      edges.push(edge);
      return edge;
    };
    for (const loc of options.locations) await (await startEdge(loc)).ready;
    return { nats, control, h, edges, keyring, dir, logs, startEdge, close };
  } catch (err) {
    await close();
    throw err;
  }
}
