// Finds and parses a wrangler config file. Syntax errors name the file with line and
// column, so an editor can jump there.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { parse as parseToml, TomlError } from 'smol-toml';
import { UserError } from '../runtime/errors.ts';

/** The names wrangler looks for, in wrangler's order of preference. */
export const CONFIG_NAMES = ['wrangler.json', 'wrangler.jsonc', 'wrangler.toml'];

export class ConfigError extends UserError {
  constructor(message: string) {
    super(message, 'config_invalid');
  }
}

/** The config file in `dir`, or null when it has none. */
export function findConfig(dir: string): string | null {
  for (const name of CONFIG_NAMES) {
    const path = join(dir, name);
    if (existsSync(path)) return path;
  }
  return null;
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

/** Reads and parses `path` (TOML or JSON with comments, by its extension); messages call it `file`. */
export function readConfigFile(path: string, file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code})`;
    throw new ConfigError(`Config file ${file} ${why}: pass -c with the path of a wrangler.toml, wrangler.json or wrangler.jsonc.`);
  }
  let value: unknown;
  if (path.endsWith('.toml')) {
    try {
      value = parseToml(text);
    } catch (err) {
      if (!(err instanceof TomlError)) throw err;
      const reason = err.message.split('\n')[0].replace(/^Invalid TOML document: /, '');
      throw new ConfigError(`${file}:${err.line}:${err.column}: invalid TOML: ${reason}. Fix the syntax at that position.`);
    }
  } else if (path.endsWith('.json') || path.endsWith('.jsonc')) {
    const errors: ParseError[] = [];
    value = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
    if (errors.length > 0) {
      const e = errors[0];
      throw new ConfigError(`${file}:${lineCol(text, e.offset)}: invalid JSON: ${printParseErrorCode(e.error)}. Fix the syntax at that position.`);
    }
  } else {
    throw new ConfigError(`Config file ${file} has an unknown type: name it ${CONFIG_NAMES.join(', ')} (or any name ending in .toml, .json or .jsonc).`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(`${file}: the top level must be a table of settings (an object), not ${describe(value)}.`);
  }
  return value as Record<string, unknown>;
}

/** Words for a value's kind in error messages: `a string ("x")`, `a number (3)`. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a table';
  const shown = JSON.stringify(value);
  const short = shown.length > 40 ? `${shown.slice(0, 37)}...` : shown;
  return `${typeof value === 'number' ? 'a number' : typeof value === 'boolean' ? 'a boolean' : 'a string'} (${short})`;
}
