// Checks a parsed wrangler config and turns it into a WorkerConfig. Every error names
// the file, the key and what would be accepted; keys atoll does not use are warnings,
// not errors, so existing Workers projects still start.

import { dirname, resolve } from 'node:path';
import { ConfigError, describe } from './read.ts';
import type { KvNamespaceConfig, ModuleRule, ModuleRuleType, RouteConfig, ServiceConfig, WorkerConfig } from './types.ts';

const RULE_TYPES: ModuleRuleType[] = ['Text', 'Data', 'CompiledWasm'];

/** Wrangler keys that atoll reads elsewhere (deploy) or not yet: accepted with a warning. */
const NOT_USED_IN_DEV = new Set([
  'account_id', 'workers_dev', 'build', 'site', 'assets',
  'durable_objects', 'd1_databases', 'r2_buckets', 'queues', 'analytics_engine_datasets',
  'migrations', 'observability', 'placement', 'tail_consumers', 'upload_source_maps', 'minify',
  'node_compat', 'no_bundle', 'find_additional_modules', 'base_dir', 'preserve_file_names',
  'keep_vars', 'logpush', 'send_metrics', 'dev', 'unsafe', 'vectorize', 'hyperdrive', 'ai',
  'browser', 'version_metadata', 'workflows', 'dispatch_namespaces', 'mtls_certificates',
  'wasm_modules', 'text_blobs', 'data_blobs', 'usage_model', 'legacy_env', 'define', 'alias',
  'keep_names', 'jsx_factory', 'jsx_fragment', 'tsconfig', 'zone_id', 'secrets_store_secrets',
  'send_email', 'pages_build_output_dir', 'containers', 'images', 'pipelines',
]);

const HONOURED = new Set([
  'name', 'main', 'compatibility_date', 'compatibility_flags', 'vars', 'kv_namespaces', 'limits', 'rules',
  // Read for `atoll deploy`; `atoll dev` serves every path of its one host.
  'route', 'routes', 'triggers', 'services',
]);

const BINDING_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

class Checker {
  readonly file: string;
  /** Top-level keys that came from an [env.NAME] section, shown with that prefix. */
  readonly fromEnv: { name: string; keys: Set<string> } | null;
  constructor(file: string, fromEnv: Checker['fromEnv']) {
    this.file = file;
    this.fromEnv = fromEnv;
  }

  fail(key: string, problem: string): never {
    const top = key.split(/[.[]/)[0];
    const shown = this.fromEnv?.keys.has(top) ? `env.${this.fromEnv.name}.${key}` : key;
    throw new ConfigError(`${this.file}: "${shown}" ${problem}`);
  }

  string(key: string, value: unknown, example: string): string {
    if (typeof value !== 'string' || value === '') this.fail(key, `must be a non-empty string, not ${describe(value)}. Example: ${example}`);
    return value;
  }

  table(key: string, value: unknown, example: string): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(key, `must be a table, not ${describe(value)}. Example: ${example}`);
    return value as Record<string, unknown>;
  }

  list(key: string, value: unknown, example: string): unknown[] {
    if (!Array.isArray(value)) this.fail(key, `must be a list, not ${describe(value)}. Example: ${example}`);
    return value;
  }

  positiveInt(key: string, value: unknown, unit: string, example: string): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      this.fail(key, `must be a positive whole number of ${unit}, not ${describe(value)}. Example: ${example}`);
    }
    return value;
  }

  onlyKeys(key: string, value: Record<string, unknown>, allowed: string[]): void {
    for (const k of Object.keys(value)) {
      if (!allowed.includes(k)) this.fail(`${key}.${k}`, `is not a known setting here: use ${allowed.map((a) => `"${a}"`).join(', ')}.`);
    }
  }
}

function compatibilityDate(c: Checker, value: unknown): string {
  const date = c.string('compatibility_date', value, 'compatibility_date = "2025-01-01"');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))) {
    c.fail('compatibility_date', `must be a date written YYYY-MM-DD, not ${describe(value)}. Example: compatibility_date = "2025-01-01"`);
  }
  return date;
}

function vars(c: Checker, value: unknown): Record<string, unknown> {
  const table = c.table('vars', value, '[vars] GREETING = "hello"');
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(table)) {
    if (!BINDING_NAME.test(name)) c.fail(`vars.${name}`, 'is not a valid binding name: use letters, digits, _ and $, not starting with a digit.');
    if (v === null || v === undefined) c.fail(`vars.${name}`, 'has no value: give it a string, number, boolean or table.');
    // Non-string vars are JSON bindings: a JSON round trip gives plain objects (TOML
    // tables have no prototype) and turns TOML dates into their text.
    out[name] = typeof v === 'string' ? v : JSON.parse(JSON.stringify(v));
  }
  return out;
}

function kvNamespaces(c: Checker, value: unknown): KvNamespaceConfig[] {
  const example = 'kv_namespaces = [{ binding = "MY_KV", id = "abc123" }]';
  return c.list('kv_namespaces', value, example).map((entry, i) => {
    const key = `kv_namespaces[${i}]`;
    const t = c.table(key, entry, example);
    c.onlyKeys(key, t, ['binding', 'id', 'preview_id']);
    const binding = c.string(`${key}.binding`, t.binding, example);
    if (!BINDING_NAME.test(binding)) c.fail(`${key}.binding`, `("${binding}") is not a valid binding name: use letters, digits, _ and $, not starting with a digit.`);
    // Wrangler lets local dev run without an id; the binding name then names the store.
    const id = t.preview_id ?? t.id ?? binding;
    return { binding, id: c.string(t.preview_id !== undefined ? `${key}.preview_id` : `${key}.id`, id, example) };
  });
}

function kvNamespaceIds(c: Checker, value: unknown): Record<string, string> {
  const ids: Record<string, string> = {};
  for (const [i, entry] of (value as Record<string, unknown>[]).entries()) {
    if (entry.id !== undefined) ids[entry.binding as string] = c.string(`kv_namespaces[${i}].id`, entry.id, 'kv_namespaces = [{ binding = "MY_KV", id = "kvn_..." }]');
  }
  return ids;
}

function routes(c: Checker, raw: Record<string, unknown>): RouteConfig[] {
  const example = 'routes = ["shop.example.com/*", { pattern = "example.com/api/*", zone_name = "example.com" }]';
  if (raw.route !== undefined && raw.routes !== undefined) c.fail('route', 'and "routes" are both set: keep one (routes takes a list).');
  const list = raw.route !== undefined ? [raw.route] : raw.routes === undefined ? [] : c.list('routes', raw.routes, example);
  const key = (i: number) => (raw.route !== undefined ? 'route' : `routes[${i}]`);
  return list.map((entry, i) => {
    if (typeof entry === 'string') return { pattern: c.string(key(i), entry, example), customDomain: false };
    const t = c.table(key(i), entry, example);
    c.onlyKeys(key(i), t, ['pattern', 'zone_name', 'zone_id', 'custom_domain']);
    if (t.custom_domain !== undefined && typeof t.custom_domain !== 'boolean') c.fail(`${key(i)}.custom_domain`, `must be true or false, not ${describe(t.custom_domain)}.`);
    return { pattern: c.string(`${key(i)}.pattern`, t.pattern, example), customDomain: t.custom_domain === true };
  });
}

function crons(c: Checker, value: unknown): string[] {
  const example = '[triggers] crons = ["*/5 * * * *"]';
  const t = c.table('triggers', value, example);
  c.onlyKeys('triggers', t, ['crons']);
  if (t.crons === undefined) return [];
  return c.list('triggers.crons', t.crons, example).map((e, i) => c.string(`triggers.crons[${i}]`, e, example));
}

function services(c: Checker, value: unknown): ServiceConfig[] {
  const example = 'services = [{ binding = "AUTH", service = "auth-worker" }]';
  return c.list('services', value, example).map((entry, i) => {
    const key = `services[${i}]`;
    const t = c.table(key, entry, example);
    c.onlyKeys(key, t, ['binding', 'service', 'environment', 'entrypoint']);
    if (t.entrypoint !== undefined) c.fail(`${key}.entrypoint`, 'names a named entrypoint, which atoll does not offer: bind the default export of the worker (remove "entrypoint").');
    const binding = c.string(`${key}.binding`, t.binding, example);
    if (!BINDING_NAME.test(binding)) c.fail(`${key}.binding`, `("${binding}") is not a valid binding name: use letters, digits, _ and $, not starting with a digit.`);
    const service = c.string(`${key}.service`, t.service, example);
    // wrangler's environment names the deployed worker `<service>-<environment>`.
    return { binding, service: t.environment === undefined ? service : `${service}-${c.string(`${key}.environment`, t.environment, example)}` };
  });
}

function limits(c: Checker, value: unknown): WorkerConfig['limits'] {
  const t = c.table('limits', value, '[limits] cpu_ms = 50');
  c.onlyKeys('limits', t, ['cpu_ms', 'memory_mb']);
  return {
    cpuMs: t.cpu_ms === undefined ? null : c.positiveInt('limits.cpu_ms', t.cpu_ms, 'milliseconds', '[limits] cpu_ms = 50'),
    memoryMb: t.memory_mb === undefined ? null : c.positiveInt('limits.memory_mb', t.memory_mb, 'megabytes', '[limits] memory_mb = 128'),
  };
}

function rules(c: Checker, value: unknown): ModuleRule[] {
  const example = 'rules = [{ type = "Text", globs = ["**/*.md"], fallthrough = true }]';
  return c.list('rules', value, example).map((entry, i) => {
    const key = `rules[${i}]`;
    const t = c.table(key, entry, example);
    c.onlyKeys(key, t, ['type', 'globs', 'fallthrough']);
    const type = c.string(`${key}.type`, t.type, example);
    if (!RULE_TYPES.includes(type as ModuleRuleType)) {
      const why = type === 'ESModule' || type === 'CommonJS'
        ? 'is a rule for unbundled uploads (no_bundle), which atoll does not do: JavaScript is always bundled, so remove this rule.'
        : `must be one of ${RULE_TYPES.map((r) => `"${r}"`).join(', ')}, not "${type}".`;
      c.fail(`${key}.type`, why);
    }
    const globs = c.list(`${key}.globs`, t.globs, example).map((g, j) => c.string(`${key}.globs[${j}]`, g, example));
    if (t.fallthrough !== undefined && typeof t.fallthrough !== 'boolean') c.fail(`${key}.fallthrough`, `must be true or false, not ${describe(t.fallthrough)}.`);
    return { type: type as ModuleRuleType, globs, fallthrough: t.fallthrough === true };
  });
}

/**
 * Validates the parsed contents of the config at `path`; messages call it `file`, and
 * name keys that came from an environment's section with their `env.NAME.` prefix.
 */
export function validateConfig(path: string, file: string, raw: Record<string, unknown>, fromEnv: Checker['fromEnv'] = null): WorkerConfig {
  const c = new Checker(file, fromEnv);
  const dir = dirname(path);
  const warnings: string[] = [];
  for (const key of Object.keys(raw)) {
    if (HONOURED.has(key) || key === '$schema') continue;
    if (NOT_USED_IN_DEV.has(key)) warnings.push(`${file}: "${key}" is not used by atoll dev yet; ignored.`);
    else warnings.push(`${file}: "${key}" is not a known setting; ignored (check the spelling).`);
  }
  const flags = raw.compatibility_flags === undefined
    ? []
    : c.list('compatibility_flags', raw.compatibility_flags, 'compatibility_flags = ["nodejs_compat"]')
      .map((f, i) => c.string(`compatibility_flags[${i}]`, f, 'compatibility_flags = ["nodejs_compat"]'));
  return {
    file: path,
    dir,
    name: raw.name === undefined ? null : c.string('name', raw.name, 'name = "my-worker"'),
    main: raw.main === undefined ? null : resolve(dir, c.string('main', raw.main, 'main = "src/index.js"')),
    compatibilityDate: raw.compatibility_date === undefined ? null : compatibilityDate(c, raw.compatibility_date),
    compatibilityFlags: flags,
    vars: raw.vars === undefined ? {} : vars(c, raw.vars),
    kvNamespaces: raw.kv_namespaces === undefined ? [] : kvNamespaces(c, raw.kv_namespaces),
    kvNamespaceIds: raw.kv_namespaces === undefined ? {} : kvNamespaceIds(c, raw.kv_namespaces),
    routes: routes(c, raw),
    crons: raw.triggers === undefined ? [] : crons(c, raw.triggers),
    services: raw.services === undefined ? [] : services(c, raw.services),
    limits: raw.limits === undefined ? { cpuMs: null, memoryMb: null } : limits(c, raw.limits),
    rules: raw.rules === undefined ? [] : rules(c, raw.rules),
    warnings,
  };
}
