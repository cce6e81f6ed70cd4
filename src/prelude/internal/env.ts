// Builds `env` from the binding specs the host sent. A worker gets exactly the bindings
// its configuration declares, nothing more (bindings are capabilities).

import type { BindingSpec } from '../../shared/ops.ts';

type Factory = (spec: BindingSpec) => unknown;
const factories = new Map<string, Factory>();

/** KV, services and other binding kinds register how their `env` value is made. */
export function registerBinding(type: BindingSpec['type'], factory: Factory): void {
  factories.set(type, factory);
}

registerBinding('plain_text', (b) => (b as { text: string }).text);
registerBinding('secret_text', (b) => (b as { text: string }).text);
registerBinding('json', (b) => (b as { json: unknown }).json);

export function buildEnv(bindings: BindingSpec[]): Record<string, unknown> {
  const env: Record<string, unknown> = {};
  for (const b of bindings) {
    const factory = factories.get(b.type);
    if (!factory) throw new TypeError(`binding "${b.name}" has unsupported type "${b.type}"`);
    env[b.name] = factory(b);
  }
  return env;
}
