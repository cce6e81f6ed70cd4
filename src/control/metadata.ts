// The `metadata` part of a worker upload, checked field by field. Errors name the field
// and show how to write it; nothing here looks at other records (deploy-checks.ts does).

import type { ModuleType } from '../runtime/modules.ts';
import type { VersionBinding, VersionLimits } from '../store/control.ts';
import { badRequest } from './errors.ts';

export interface UploadMetadata {
  format: 'modules' | 'service-worker';
  mainModule: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  bindings: VersionBinding[];
  limits: VersionLimits;
  message: string;
  /** Module types given by name, overriding the parts' content types. */
  moduleTypes: Map<string, ModuleType>;
}

export const MODULE_TYPES: readonly ModuleType[] = ['esm', 'commonjs', 'text', 'data', 'wasm', 'json'];

/**
 * Flags whose Workers behaviour atoll already has, so a project that sets them deploys
 * unchanged. A flag not listed would ask for behaviour atoll lacks: refused, not ignored.
 */
export const KNOWN_COMPATIBILITY_FLAGS: readonly string[] = [
  'formdata_parser_supports_files', 'streams_enable_constructors', 'transformstream_enable_standard_constructor',
  'url_standard', 'global_navigator', 'fetch_refuses_unknown_protocols', 'export_commonjs_default',
];

const LIMIT_RANGES = { cpu_ms: [1, 300_000], memory_mb: [16, 1024] } as const;
const BINDING_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;
const MAX_MESSAGE = 1000;

const bad = (field: string, message: string) => badRequest('invalid_metadata', `metadata ${field} ${message}`);

function str(field: string, v: unknown, example: string): string {
  if (typeof v !== 'string' || v === '') throw bad(field, `must be a non-empty string, e.g. ${example}`);
  return v;
}

function parseBinding(raw: unknown, i: number): VersionBinding {
  const f = `bindings[${i}]`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(f, 'must be an object such as {"type":"plain_text","name":"GREETING","text":"hi"}');
  const b = raw as Record<string, unknown>;
  const name = str(`${f}.name`, b.name, '"MY_KV"');
  if (!BINDING_NAME.test(name)) throw bad(`${f}.name`, `"${name.slice(0, 80)}" is not a JavaScript identifier of at most 64 characters`);
  switch (b.type) {
    case 'plain_text':
      if (typeof b.text !== 'string') throw bad(`${f}.text`, 'must be a string for a plain_text binding');
      return { type: 'plain_text', name, text: b.text };
    case 'json':
      if (!('json' in b)) throw bad(`${f}.json`, 'is missing; give the JSON value to bind');
      return { type: 'json', name, json: b.json };
    case 'secret_text':
      if ('text' in b) throw bad(`${f}.text`, 'must not be sent: set secret values with PUT /api/v1/workers/:name/secrets/:secret');
      return { type: 'secret_text', name };
    case 'kv_namespace':
      return { type: 'kv_namespace', name, namespace_id: str(`${f}.namespace_id`, b.namespace_id, '"kvn_..." from POST /api/v1/kv/namespaces') };
    case 'service':
      return { type: 'service', name, service: str(`${f}.service`, b.service, '"auth-worker"') };
    default:
      throw bad(`${f}.type`, `"${String(b.type).slice(0, 80)}" is unknown; use plain_text, json, secret_text, kv_namespace or service`);
  }
}

function parseLimits(raw: unknown): VersionLimits {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('limits', 'must be an object such as {"cpu_ms":50}');
  const limits: VersionLimits = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in LIMIT_RANGES)) throw bad(`limits.${key}`, 'is unknown; use cpu_ms or memory_mb');
    const [min, max] = LIMIT_RANGES[key as keyof typeof LIMIT_RANGES];
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      throw bad(`limits.${key}`, `must be an integer from ${min} to ${max}`);
    }
    limits[key as keyof VersionLimits] = value as number;
  }
  return limits;
}

function parseDate(raw: unknown, now: number): string {
  const date = str('compatibility_date', raw, '"2026-01-01"');
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) {
    throw bad('compatibility_date', `"${date.slice(0, 40)}" is not a date written YYYY-MM-DD`);
  }
  if (ms > now + 86_400_000) throw bad('compatibility_date', `"${date}" is in the future; use today's date or an earlier one`);
  return date;
}

/** Checks the parsed `metadata` JSON. */
export function parseMetadata(raw: unknown, now = Date.now()): UploadMetadata {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('', 'must be a JSON object');
  const m = raw as Record<string, unknown>;
  const known = ['main_module', 'body_part', 'compatibility_date', 'compatibility_flags', 'bindings', 'limits', 'message', 'modules'];
  for (const key of Object.keys(m)) if (!known.includes(key)) throw bad(key, `is not a known field; use: ${known.join(', ')}`);
  if ((m.main_module === undefined) === (m.body_part === undefined)) {
    throw bad('main_module', 'must be given (ES modules), or body_part instead for a service-worker script, not both');
  }
  const format = m.main_module !== undefined ? 'modules' : 'service-worker';
  const mainModule = str(format === 'modules' ? 'main_module' : 'body_part', m.main_module ?? m.body_part, '"index.js"');
  const flagsRaw = m.compatibility_flags ?? [];
  if (!Array.isArray(flagsRaw) || flagsRaw.some((f) => typeof f !== 'string')) throw bad('compatibility_flags', 'must be an array of strings');
  for (const flag of flagsRaw as string[]) {
    if (!KNOWN_COMPATIBILITY_FLAGS.includes(flag)) {
      throw bad('compatibility_flags', `has "${flag.slice(0, 80)}", which atoll does not implement; remove it (known: ${KNOWN_COMPATIBILITY_FLAGS.join(', ')})`);
    }
  }
  const bindingsRaw = m.bindings ?? [];
  if (!Array.isArray(bindingsRaw)) throw bad('bindings', 'must be an array');
  const bindings = bindingsRaw.map(parseBinding);
  const names = new Set<string>();
  for (const b of bindings) {
    if (names.has(b.name)) throw bad('bindings', `binds "${b.name}" twice; give each binding its own name`);
    names.add(b.name);
  }
  if (m.message !== undefined && typeof m.message !== 'string') throw bad('message', 'must be a string');
  const message = (m.message as string | undefined) ?? '';
  if (message.length > MAX_MESSAGE) throw bad('message', `is ${message.length} characters; keep it to ${MAX_MESSAGE}`);
  const moduleTypes = new Map<string, ModuleType>();
  if (m.modules !== undefined) {
    if (typeof m.modules !== 'object' || m.modules === null || Array.isArray(m.modules)) throw bad('modules', 'must be an object of module name to type, e.g. {"data.txt":"text"}');
    for (const [name, type] of Object.entries(m.modules)) {
      if (!MODULE_TYPES.includes(type as ModuleType)) throw bad(`modules["${name.slice(0, 80)}"]`, `must be one of ${MODULE_TYPES.join(', ')}`);
      moduleTypes.set(name, type as ModuleType);
    }
  }
  return {
    format, mainModule, compatibilityDate: parseDate(m.compatibility_date, now), compatibilityFlags: [...new Set(flagsRaw as string[])],
    bindings, limits: parseLimits(m.limits), message, moduleTypes,
  };
}
