// What the edge needs to run a version: the runtime's WorkerDefinition, with the bundle
// loaded by hash and every secret of the worker decrypted into a secret_text binding
// (as on Workers, a worker's secrets are bound without being declared in the upload).

import { DEFAULT_LIMITS, type WorkerDefinition } from '../runtime/worker-isolate.ts';
import type { BindingSpec } from '../shared/ops.ts';
import type { ControlStore, Version } from '../store/control.ts';
import { decryptSecret, type Keyring } from './secrets.ts';

/** `store` needs only bundles and secrets: an edge passes its local copy (src/cluster). */
export async function workerDefinition(store: Pick<ControlStore, 'getModules' | 'getSecrets'>, ring: Keyring, version: Version): Promise<WorkerDefinition> {
  const modules = await store.getModules(version.hash);
  const bindings: BindingSpec[] = [];
  for (const b of version.bindings) {
    if (b.type === 'kv_namespace') bindings.push({ type: 'kv_namespace', name: b.name, namespaceId: b.namespace_id });
    else if (b.type !== 'secret_text') bindings.push(b);
  }
  for (const secret of await store.getSecrets(version.accountId, version.worker)) {
    bindings.push({ type: 'secret_text', name: secret.name, text: decryptSecret(ring, secret) });
  }
  return {
    name: version.worker,
    versionId: version.id,
    format: version.format,
    mainModule: version.mainModule,
    modules,
    bindings,
    compatibilityDate: version.compatibilityDate,
    compatibilityFlags: version.compatibilityFlags,
    limits: {
      ...DEFAULT_LIMITS,
      ...(version.limits.cpu_ms !== undefined ? { cpuMs: version.limits.cpu_ms } : {}),
      ...(version.limits.memory_mb !== undefined ? { memoryMb: version.limits.memory_mb } : {}),
    },
    dev: false,
  };
}
