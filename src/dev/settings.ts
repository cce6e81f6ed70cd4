// What `atoll dev` runs: the worker's settings from its config file with the command
// line on top (flags win), and the defaults filled in.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import type { KvNamespaceConfig, ModuleRule, WorkerConfig } from '../config/types.ts';
import { UserError } from '../runtime/errors.ts';
import { DEFAULT_LIMITS, type WorkerLimits } from '../runtime/worker-isolate.ts';
import type { BindingSpec } from '../shared/ops.ts';

/** The options of `atoll dev`, as parsed from the command line. */
export interface DevFlags {
  cwd: string;
  entry: string | null;
  config: string | null;
  /** The `[env.NAME]` section to use (--env), or null for the top level. */
  env: string | null;
  ip: string;
  port: number;
  vars: [string, string][];
  origin: URL | null;
  cpuMs: number | null;
  memoryMb: number | null;
  trustForwardedFor: boolean;
  location: string;
}

export interface WorkerSettings {
  name: string;
  /** The local secrets file (.dev.vars), read if it exists; watched for changes either way. */
  devVarsFile: string;
  /** Absolute path of the entry module. */
  entry: string;
  projectDir: string;
  rules: ModuleRule[];
  bindings: BindingSpec[];
  compatibilityDate: string;
  compatibilityFlags: string[];
  limits: WorkerLimits;
  kvNamespaces: KvNamespaceConfig[];
}

function entryPath(config: WorkerConfig, flags: DevFlags): string {
  if (flags.entry !== null) {
    const path = resolve(flags.cwd, flags.entry);
    if (!existsSync(path) || !statSync(path).isFile()) {
      const what = existsSync(path) ? 'is a folder' : 'does not exist';
      throw new UserError(`atoll dev: entry ${flags.entry} ${what}: pass the path of your worker's main module, such as src/index.js.`, 'entry_missing');
    }
    return path;
  }
  if (config.main === null) {
    const where = config.file ? `set "main" in ${relative(flags.cwd, config.file) || config.file}` : 'or run it in a folder with a wrangler.toml that sets "main"';
    throw new UserError(`atoll dev: no entry point: pass one (atoll dev src/index.js), ${where}.`, 'entry_missing');
  }
  if (!existsSync(config.main)) {
    const file = config.file ? relative(flags.cwd, config.file) || config.file : 'the config';
    throw new UserError(`${file}: "main" points to ${relative(flags.cwd, config.main)}, which does not exist: fix the path or create the file.`, 'entry_missing');
  }
  return config.main;
}

/**
 * Where local secrets live, as wrangler has them: `.dev.vars` next to the config (the
 * working folder without one), or `.dev.vars.<env>` with --env when that file exists.
 */
export function devVarsFile(config: WorkerConfig, flags: DevFlags): string {
  const dir = config.file ? config.dir : flags.cwd;
  if (flags.env !== null && existsSync(join(dir, `.dev.vars.${flags.env}`))) return join(dir, `.dev.vars.${flags.env}`);
  return join(dir, '.dev.vars');
}

/** The file's KEY=VALUE lines (dotenv syntax: comments, quotes, multi-line quoted values), or none. */
function readDevVars(file: string, cwd: string): [string, string][] {
  if (!existsSync(file)) return [];
  try {
    return Object.entries(parseEnv(readFileSync(file, 'utf8'))).map(([name, value]) => [name, value ?? '']);
  } catch (err) {
    throw new UserError(`atoll dev: cannot read ${relative(cwd, file) || file}: ${(err as Error).message}`, 'config_invalid');
  }
}

function bindings(config: WorkerConfig, flags: DevFlags, devVars: [string, string][]): BindingSpec[] {
  const vars = new Map<string, BindingSpec>();
  for (const [name, value] of Object.entries(config.vars)) {
    vars.set(name, typeof value === 'string' ? { type: 'plain_text', name, text: value } : { type: 'json', name, json: value });
  }
  // Secrets from .dev.vars win over [vars], and --var over both.
  for (const [name, text] of devVars) vars.set(name, { type: 'plain_text', name, text });
  for (const [name, text] of flags.vars) vars.set(name, { type: 'plain_text', name, text });
  const kv: BindingSpec[] = config.kvNamespaces.map((k) => ({ type: 'kv_namespace', name: k.binding, namespaceId: k.id }));
  for (const k of kv) {
    if (vars.has(k.name)) throw new UserError(`atoll dev: "${k.name}" is both a variable and a KV namespace binding: rename one of them.`, 'config_invalid');
  }
  // Service bindings exist in env (a worker that only checks for one still runs); calling
  // one fails with a reason, as dev runs one worker (services.ts).
  const services: BindingSpec[] = config.services.map((b) => ({ type: 'service', name: b.binding, service: b.service }));
  for (const b of services) {
    if (vars.has(b.name) || kv.some((k) => k.name === b.name)) throw new UserError(`atoll dev: "${b.name}" is both a service binding and another binding: rename one of them.`, 'config_invalid');
  }
  return [...vars.values(), ...kv, ...services];
}

/** Today, as wrangler uses it when a project sets no compatibility_date. */
const today = () => new Date().toISOString().slice(0, 10);

export function resolveSettings(config: WorkerConfig, flags: DevFlags): WorkerSettings {
  const entry = entryPath(config, flags);
  const secretsFile = devVarsFile(config, flags);
  return {
    name: config.name ?? basename(config.dir),
    devVarsFile: secretsFile,
    entry,
    projectDir: config.file ? config.dir : flags.cwd,
    rules: config.rules,
    bindings: bindings(config, flags, readDevVars(secretsFile, flags.cwd)),
    compatibilityDate: config.compatibilityDate ?? today(),
    compatibilityFlags: config.compatibilityFlags,
    limits: {
      ...DEFAULT_LIMITS,
      cpuMs: flags.cpuMs ?? config.limits.cpuMs ?? DEFAULT_LIMITS.cpuMs,
      memoryMb: flags.memoryMb ?? config.limits.memoryMb ?? DEFAULT_LIMITS.memoryMb,
    },
    kvNamespaces: config.kvNamespaces,
  };
}
