// A worker upload, from multipart form data to checked modules: one `metadata` part
// (JSON, see metadata.ts) and one part per module, named by the part's name. A module's
// type comes from metadata.modules, else its content type, else its file extension.

import { createHash } from 'node:crypto';
import type { ModuleType } from '../runtime/modules.ts';
import type { StoredModule } from '../store/control.ts';
import { badRequest, tooLarge } from './errors.ts';
import { parseMetadata, type UploadMetadata } from './metadata.ts';

export const DEFAULT_BUNDLE_LIMIT = 10 * 1024 * 1024;
const MAX_MODULE_NAME = 256;
const MAX_MODULES = 1000;

const CONTENT_TYPES: Record<string, ModuleType> = {
  'application/javascript+module': 'esm',
  'text/javascript+module': 'esm',
  'application/javascript': 'commonjs',
  'text/javascript': 'commonjs',
  'text/plain': 'text',
  'application/octet-stream': 'data',
  'application/wasm': 'wasm',
  'application/json': 'json',
};

const EXTENSIONS: Record<string, ModuleType> = {
  mjs: 'esm', js: 'esm', cjs: 'commonjs', txt: 'text', html: 'text', wasm: 'wasm', json: 'json', bin: 'data',
};

/** Refuses module names that could leave the bundle or confuse a file system. */
export function checkModuleName(name: string): void {
  const bad = (why: string) => badRequest('invalid_module_name',
    `module name "${name.slice(0, 100).replace(/\0/g, '\\0')}" ${why}; use a relative path such as "index.js" or "lib/util.mjs"`);
  if (name.length === 0 || name.length > MAX_MODULE_NAME) throw bad(`must be 1 to ${MAX_MODULE_NAME} characters`);
  if (name.includes('\0')) throw bad('contains a NUL character');
  // The multipart parser decodes part names as UTF-8, turning invalid bytes into U+FFFD.
  if (name.includes('\uFFFD')) throw badRequest('invalid_utf8', `module name "${name.slice(0, 100)}" is not valid UTF-8; name modules in UTF-8`);
  if (name.includes('\\')) throw bad('contains a backslash');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw bad('is an absolute path');
  if (name.split('/').some((seg) => seg === '..' || seg === '.' || seg === '')) throw bad('has an empty, "." or ".." path segment');
}

function typeOf(name: string, contentType: string, meta: UploadMetadata): ModuleType {
  const given = meta.moduleTypes.get(name);
  if (given) return given;
  const ct = contentType.split(';')[0]!.trim().toLowerCase();
  if (ct && CONTENT_TYPES[ct]) return CONTENT_TYPES[ct];
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
  if (EXTENSIONS[ext]) return EXTENSIONS[ext];
  throw badRequest('unknown_module_type',
    `module "${name}" has content type "${ct || 'none'}" and no known extension; give its type in metadata.modules, e.g. {"${name}":"text"}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface Upload {
  meta: UploadMetadata;
  modules: StoredModule[];
  size: number;
  /** SHA-256 (hex) over the modules and the metadata that shapes the code. */
  hash: string;
}

/** Reads the metadata and module parts of an upload; `limit` is the bundle size in bytes. */
export async function readUpload(form: FormData, limit = DEFAULT_BUNDLE_LIMIT, now = Date.now()): Promise<Upload> {
  const metaPart = form.get('metadata');
  if (metaPart === null) throw badRequest('missing_metadata', 'the upload has no "metadata" part; add one with the JSON {"main_module":"index.js","compatibility_date":"2026-01-01"}');
  let metaText: string;
  try {
    metaText = typeof metaPart === 'string' ? metaPart : utf8.decode(await metaPart.arrayBuffer());
  } catch {
    metaText = '\uFFFD';
  }
  // A plain field arrives decoded already, invalid bytes replaced by U+FFFD; no valid
  // metadata needs that character.
  if (metaText.includes('\uFFFD')) throw badRequest('invalid_utf8', 'the "metadata" part is not valid UTF-8; send the JSON encoded as UTF-8');
  let metaJson: unknown;
  try {
    metaJson = JSON.parse(metaText);
  } catch (err) {
    throw badRequest('invalid_metadata', `the "metadata" part is not valid JSON (${(err as Error).message}); send a JSON object`);
  }
  const meta = parseMetadata(metaJson, now);
  const modules: StoredModule[] = [];
  const seen = new Set<string>();
  let size = 0;
  for (const [name, part] of form.entries()) {
    if (name === 'metadata') continue;
    checkModuleName(name);
    if (seen.has(name)) throw badRequest('duplicate_module', `module "${name}" appears twice in the upload; send each module once`);
    seen.add(name);
    if (seen.size > MAX_MODULES) throw badRequest('too_many_modules', `the upload has more than ${MAX_MODULES} modules; bundle them (atoll deploy does)`);
    const content = typeof part === 'string' ? new TextEncoder().encode(part) : new Uint8Array(await part.arrayBuffer());
    size += content.byteLength;
    if (size > limit) throw tooLarge(`the bundle is over its limit of ${limit} bytes (at module "${name}"); make it smaller, e.g. minify or move data to KV`);
    const type = typeOf(name, typeof part === 'string' ? '' : part.type, meta);
    if (type !== 'data' && type !== 'wasm') {
      try {
        utf8.decode(content);
      } catch {
        throw badRequest('invalid_utf8', `module "${name}" (${type}) is not valid UTF-8; save it as UTF-8, or upload it as "data"`);
      }
    }
    modules.push({ name, type, content });
  }
  if (modules.length === 0) throw badRequest('no_modules', 'the upload has no module parts; add one part per module, named by its path');
  for (const name of meta.moduleTypes.keys()) {
    if (!seen.has(name)) throw badRequest('invalid_metadata', `metadata modules names "${name.slice(0, 100)}", which is not among the uploaded parts`);
  }
  if (!seen.has(meta.mainModule)) {
    throw badRequest('missing_main_module', `main module "${meta.mainModule}" is not among the uploaded parts (${[...seen].slice(0, 10).join(', ')}); upload it or fix main_module`);
  }
  return { meta, modules, size, hash: bundleHash(meta, modules) };
}

/** The bundle's content hash; an edge recomputes it to check a bundle it fetched (src/cluster). */
export function bundleHash(meta: Pick<UploadMetadata, 'format' | 'mainModule'>, modules: StoredModule[]): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([meta.format, meta.mainModule]));
  for (const m of [...modules].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    h.update(JSON.stringify([m.name, m.type, m.content.byteLength]));
    h.update(m.content);
  }
  return h.digest('hex');
}
