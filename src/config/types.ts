// A worker's configuration as atoll uses it, after reading wrangler.toml /
// wrangler.json / wrangler.jsonc: paths absolute, names in camelCase, defaults not yet
// applied (the command that runs the worker decides those, so flags can override).

/** How an imported non-JS file becomes a module (wrangler's `rules[].type`). */
export type ModuleRuleType = 'Text' | 'Data' | 'CompiledWasm';

export interface ModuleRule {
  type: ModuleRuleType;
  globs: string[];
  /** Keep the default rules of the same type after this one (wrangler's `fallthrough`). */
  fallthrough: boolean;
}

export interface KvNamespaceConfig {
  binding: string;
  /** The namespace id; in dev, wrangler's `preview_id` when given. */
  id: string;
}

/** A route from `route` / `routes`; `atoll deploy` binds it to the worker. */
export interface RouteConfig {
  pattern: string;
  /** wrangler's `custom_domain = true`, which atoll does not offer (deploy refuses it). */
  customDomain: boolean;
}

/** A service binding: `binding` calls worker `service`'s fetch. */
export interface ServiceConfig {
  binding: string;
  service: string;
}

export interface WorkerConfig {
  /** The config file read, or null when the worker runs from an entry alone. */
  file: string | null;
  /** Where relative paths in the config resolve from: the config file's folder. */
  dir: string;
  name: string | null;
  /** Absolute path of the entry module. */
  main: string | null;
  compatibilityDate: string | null;
  compatibilityFlags: string[];
  /** Strings become plain-text bindings; other JSON values become JSON bindings. */
  vars: Record<string, unknown>;
  kvNamespaces: KvNamespaceConfig[];
  /** Binding name to the `id` written for it (what deploy binds; dev prefers preview_id). */
  kvNamespaceIds: Record<string, string>;
  routes: RouteConfig[];
  /** `triggers.crons`: 5-field cron expressions. */
  crons: string[];
  services: ServiceConfig[];
  limits: { cpuMs: number | null; memoryMb: number | null };
  rules: ModuleRule[];
  /** Keys that were read but are not used (typos, wrangler features atoll lacks). */
  warnings: string[];
}
