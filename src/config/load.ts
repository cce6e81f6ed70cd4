// Loads a worker's configuration the way wrangler finds it: the file named with -c, or
// the first of wrangler.json / wrangler.jsonc / wrangler.toml in the current folder, or
// none at all (then the entry must be given on the command line).

import { relative, resolve } from 'node:path';
import { selectEnvironment } from './environments.ts';
import { ConfigError, findConfig, readConfigFile } from './read.ts';
import type { WorkerConfig } from './types.ts';
import { validateConfig } from './validate.ts';

export function emptyConfig(dir: string): WorkerConfig {
  return {
    file: null,
    dir,
    name: null,
    main: null,
    compatibilityDate: null,
    compatibilityFlags: [],
    vars: {},
    kvNamespaces: [],
    kvNamespaceIds: {},
    routes: [],
    crons: [],
    services: [],
    limits: { cpuMs: null, memoryMb: null },
    rules: [],
    warnings: [],
  };
}

/**
 * Reads the config `file` (relative to `cwd`), or the one found in `cwd` when `file` is
 * null, as environment `env` sees it (`[env.NAME]`; the top level when null). Throws
 * ConfigError for a missing, unparsable or invalid file, or an unknown environment.
 */
export function loadConfig(cwd: string, file: string | null, env: string | null = null): WorkerConfig {
  const path = file === null ? findConfig(cwd) : resolve(cwd, file);
  if (path === null) {
    if (env !== null) throw new ConfigError(`--env ${env} needs a config file with [env.${env}], and there is no wrangler.toml, wrangler.json or wrangler.jsonc here: pass one with -c.`);
    return emptyConfig(cwd);
  }
  // Messages name the file as the user would type it.
  const rel = relative(cwd, path);
  const shown = rel === '' || rel.startsWith('..') ? path : rel;
  const selected = selectEnvironment(readConfigFile(path, shown), env, shown);
  return validateConfig(path, shown, selected.raw, selected.fromEnv);
}
