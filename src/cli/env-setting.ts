// A flag's value, else its environment variable's (checked by the same parser), else a
// default: how the long-running commands (`atoll up`, `atoll edge`, `atoll control`) read settings.

import { UserError } from '../runtime/errors.ts';

export function setting<T>(command: string, flag: T | undefined, env: string, parse: (v: string) => T, fallback: T): T {
  if (flag !== undefined) return flag;
  const raw = process.env[env];
  if (raw === undefined || raw === '') return fallback;
  try {
    return parse(raw);
  } catch (err) {
    throw new UserError(`atoll ${command}: ${env}=${JSON.stringify(raw)}: ${(err as Error).message}.`, 'bad_env');
  }
}

/** Like setting(), for a value the command cannot run without. */
export function requiredSetting<T>(command: string, flag: T | undefined, flagName: string, env: string, parse: (v: string) => T): T {
  const v = setting<T | undefined>(command, flag, env, parse, undefined);
  if (v === undefined) throw new UserError(`atoll ${command}: ${flagName} is missing; pass it or set ${env}.`, 'usage');
  return v;
}
