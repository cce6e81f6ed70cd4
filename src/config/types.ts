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
  limits: { cpuMs: number | null; memoryMb: number | null };
  rules: ModuleRule[];
  /** Keys that were read but are not used (typos, wrangler features atoll lacks). */
  warnings: string[];
}
