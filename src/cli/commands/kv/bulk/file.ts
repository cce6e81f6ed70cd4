// Reads the JSON files of `kv bulk put` and `kv bulk delete`, in wrangler's format, with
// errors that name the file and the entry.

import { readFileSync } from 'node:fs';
import { UserError } from '../../../../runtime/errors.ts';
import type { Pair } from '../target.ts';

const PUT_EXAMPLE = '[{"key":"a","value":"1"},{"key":"b","value":"AAEC","base64":true,"expiration_ttl":600,"metadata":{"t":1}}]';

function readArray(file: string, example: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code}): give the path of a JSON file`, 'bad_file');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file} is not valid JSON (${(err as Error).message}): write a JSON array such as ${example}`, 'bad_file');
  }
  if (!Array.isArray(value)) throw new UserError(`${file} must hold a JSON array, such as ${example}`, 'bad_file');
  return value;
}

/** `[{key, value, base64?, expiration?, expiration_ttl?, metadata?}]`. */
export function readPutFile(file: string): Pair[] {
  return readArray(file, PUT_EXAMPLE).map((raw, i) => {
    const bad = (why: string) => new UserError(`${file}: entry [${i}] ${why}; each entry is like ${PUT_EXAMPLE.slice(1, 26)}`, 'bad_file');
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('is not an object');
    const e = raw as Record<string, unknown>;
    if (typeof e.key !== 'string') throw bad('has no "key" string');
    if (typeof e.value !== 'string') throw bad('has no "value" string (binary values are base64 with "base64": true)');
    for (const f of ['expiration', 'expiration_ttl'] as const) {
      if (e[f] !== undefined && !Number.isInteger(e[f])) throw bad(`"${f}" must be a whole number of seconds`);
    }
    if (e.base64 !== undefined && typeof e.base64 !== 'boolean') throw bad('"base64" must be true or false');
    return {
      key: e.key,
      value: e.base64 === true ? new Uint8Array(Buffer.from(e.value, 'base64')) : new TextEncoder().encode(e.value),
      ...(e.expiration !== undefined ? { expiration: e.expiration as number } : {}),
      ...(e.expiration_ttl !== undefined ? { expirationTtl: e.expiration_ttl as number } : {}),
      ...(e.metadata !== undefined ? { metadata: JSON.stringify(e.metadata) } : {}),
    };
  });
}

/** `["a", "b"]`, or `[{"key":"a"}]` as wrangler also takes. */
export function readDeleteFile(file: string): string[] {
  return readArray(file, '["a","b"]').map((e, i) => {
    const key = typeof e === 'string' ? e : (e as { key?: unknown } | null)?.key;
    if (typeof key !== 'string') throw new UserError(`${file}: entry [${i}] is not a key name: write an array of strings such as ["a","b"]`, 'bad_file');
    return key;
  });
}

/** The API takes 10,000 pairs a call. */
export const BATCH = 10_000;
