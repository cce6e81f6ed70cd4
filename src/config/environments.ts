// Wrangler environments: `[env.staging]` sections that `--env staging` selects. As in
// wrangler, an environment inherits the top-level keys, except bindings (vars,
// kv_namespaces, services), which it must declare itself, and its name defaults to
// `<name>-<environment>`.

import { ConfigError, describe } from './read.ts';

const NOT_INHERITED = ['vars', 'kv_namespaces', 'services'];

export interface Selected {
  raw: Record<string, unknown>;
  /** Which keys the environment's section set (for error messages), or null for the top level. */
  fromEnv: { name: string; keys: Set<string> } | null;
}

/** The config as environment `envName` sees it (the top level when envName is null). */
export function selectEnvironment(raw: Record<string, unknown>, envName: string | null, file: string): Selected {
  const { env, ...top } = raw;
  if (envName === null) return { raw: top, fromEnv: null };
  if (env === undefined) throw new ConfigError(`${file} has no environments ([env.NAME] sections), so --env ${envName} names nothing: add [env.${envName}] or drop --env.`);
  if (env === null || typeof env !== 'object' || Array.isArray(env)) throw new ConfigError(`${file}: "env" must be a table of environments, not ${describe(env)}. Example: [env.staging]`);
  const section = (env as Record<string, unknown>)[envName];
  if (section === undefined) {
    const known = Object.keys(env).join(', ') || 'none';
    throw new ConfigError(`${file} has no environment "${envName}" (it has: ${known}): add [env.${envName}] or pick one of those with --env.`);
  }
  if (section === null || typeof section !== 'object' || Array.isArray(section)) throw new ConfigError(`${file}: "env.${envName}" must be a table, not ${describe(section)}.`);
  const merged: Record<string, unknown> = { ...top, ...section };
  for (const key of NOT_INHERITED) {
    if (!(key in section)) delete merged[key];
  }
  if (!('name' in section) && typeof top.name === 'string') merged.name = `${top.name}-${envName}`;
  return { raw: merged, fromEnv: { name: envName, keys: new Set(Object.keys(section)) } };
}
