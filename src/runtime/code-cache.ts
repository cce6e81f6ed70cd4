// A V8 code cache for tenant code. isolated-vm consumes cached data only for scripts
// (compileModule ignores it: it never asks V8 to consume), so a worker that is one ES
// module with no imports also gets a script form: esbuild rewrites its exports into an
// object the script evaluates to. The first isolate of a bundle loads it as a module and
// derives the script form in the background; a later one runs the script form and, once
// its top level has run, compiles the same source again in that isolate to produce the
// cache, which then holds the functions the top level compiled too; every later isolate
// compiles from it (docs/architecture.md, "Code cache"; bench/RESULTS.md has the figures).
//
// Safety: entries are keyed by a SHA-256 of the exact source, its filename and the
// engine (V8 and isolated-vm versions, the V8 flags atoll sets), because V8's own check
// of cached data only compares the source's length: a tenant gets compiled code only for
// byte-identical source. V8 still verifies versions and flags and may reject the data
// (`cachedDataRejected`): the entry is dropped and produced again. On disk each file
// carries a SHA-256 of its contents and is ignored when it does not match.

import ivm from 'isolated-vm';
import { transform } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { WASM_MAX_PAGES } from '../shared/ops.ts';

const IVM_VERSION = (createRequire(import.meta.url)('isolated-vm/package.json') as { version: string }).version;
const ENGINE = `v8 ${process.versions.v8}; isolated-vm ${IVM_VERSION}; --wasm-max-mem-pages=${WASM_MAX_PAGES}`;
/** The name the script form's value is first bound to by esbuild; stripped before use. */
const GLOBAL_NAME = '__atoll_exports';
/** Cached data and script forms kept in memory, least recently used dropped first. */
const MAX_MEMORY_BYTES = 64 * 1024 * 1024;
/** The same on disk: every deploy adds its bundle's files, so the folder is capped too. */
export const DEFAULT_MAX_DISK_BYTES = 512 * 1024 * 1024;
const FILE_NAME = /^([0-9a-f]{64})\.(js|v8)$/;

interface Entry {
  /** The script form: strict, evaluates to the module's exports object. */
  code: string;
  data: Uint8Array | null;
}

const entries = new Map<string, Entry>();
let memoryBytes = 0;
/** Keys whose module cannot become a script (top-level await, import.meta, ...). */
const unfit = new Set<string>();
const converting = new Map<string, Promise<void>>();
const producing = new Map<string, Promise<void>>();
/** Keys whose cached data was produced again after a request, in this process. */
const refreshed = new Set<string>();
let dir: string | null = null;
/** The files on disk per key (bytes of each), least recently used first. */
const onDisk = new Map<string, { js: number; v8: number }>();
let diskBytes = 0;
let maxDiskBytes = DEFAULT_MAX_DISK_BYTES;

/**
 * Keeps the cache on disk under `path` too (the edge's data folder), or in memory only.
 * What an earlier process left there is indexed, oldest first, so that the folder stays
 * within `maxBytes` across restarts.
 */
export function setCodeCacheDir(path: string | null, maxBytes = DEFAULT_MAX_DISK_BYTES): void {
  dir = path;
  maxDiskBytes = maxBytes;
  onDisk.clear();
  diskBytes = 0;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const found: { key: string; ext: 'js' | 'v8'; size: number; used: number }[] = [];
  for (const name of readdirSync(dir)) {
    const m = FILE_NAME.exec(name);
    try {
      // A .tmp file is a write a crash cut short.
      if (!m) {
        if (name.endsWith('.tmp')) unlinkSync(join(dir, name));
        continue;
      }
      const st = statSync(join(dir, name));
      found.push({ key: m[1], ext: m[2] as 'js' | 'v8', size: st.size, used: st.mtimeMs });
    } catch {
      // Gone meanwhile, or unreadable: not counted.
    }
  }
  found.sort((a, b) => a.used - b.used);
  for (const f of found) noteOnDisk(f.key, f.ext, f.size);
  trimDisk();
}

function noteOnDisk(key: string, ext: 'js' | 'v8', size: number): void {
  const files = onDisk.get(key) ?? { js: 0, v8: 0 };
  onDisk.delete(key);
  diskBytes += size - files[ext];
  files[ext] = size;
  onDisk.set(key, files);
}

/** Drops the least recently used keys' files until the folder is within its cap. */
function trimDisk(): void {
  for (const [key, files] of onDisk) {
    if (diskBytes <= maxDiskBytes || !dir) break;
    for (const ext of ['js', 'v8'] as const) {
      if (files[ext] === 0) continue;
      try {
        unlinkSync(join(dir, `${key}.${ext}`));
      } catch {
        // Already gone.
      }
    }
    onDisk.delete(key);
    diskBytes -= files.js + files.v8;
  }
}

export function codeCacheKey(source: string, filename: string): string {
  return createHash('sha256').update(ENGINE).update('\0').update(filename).update('\0').update(source).digest('hex');
}

function sizeOf(e: Entry): number {
  return e.code.length * 2 + (e.data?.byteLength ?? 0);
}

function remember(key: string, e: Entry): void {
  const old = entries.get(key);
  if (old) {
    memoryBytes -= sizeOf(old);
    entries.delete(key);
  }
  entries.set(key, e);
  memoryBytes += sizeOf(e);
  for (const [k, v] of entries) {
    if (memoryBytes <= MAX_MEMORY_BYTES) break;
    entries.delete(k);
    memoryBytes -= sizeOf(v);
  }
}

// On disk: 32 bytes of SHA-256 over (key, contents), then the contents.
function writeFile(key: string, ext: 'js' | 'v8', contents: Uint8Array): void {
  if (!dir) return;
  const file = join(dir, `${key}.${ext}`);
  const digest = createHash('sha256').update(key).update(contents).digest();
  try {
    writeFileSync(`${file}.tmp`, Buffer.concat([digest, contents]));
    renameSync(`${file}.tmp`, file);
  } catch {
    // A full or read-only disk costs only the cache.
    return;
  }
  noteOnDisk(key, ext, digest.byteLength + contents.byteLength);
  trimDisk();
}

function readFile(key: string, ext: 'js' | 'v8'): Uint8Array | null {
  if (!dir) return null;
  let raw: Buffer;
  try {
    raw = readFileSync(join(dir, `${key}.${ext}`));
  } catch {
    return null;
  }
  if (raw.byteLength < 32) return null;
  const contents = raw.subarray(32);
  const digest = createHash('sha256').update(key).update(contents).digest();
  return digest.equals(raw.subarray(0, 32)) ? contents : null;
}

/** The script form and cached data for `key`, from memory or disk; null if there is no script form yet. */
export function lookupCode(key: string): Entry | null {
  const hit = entries.get(key);
  if (hit) {
    remember(key, hit);
    touchOnDisk(key);
    return hit;
  }
  const code = readFile(key, 'js');
  if (!code) return null;
  const e: Entry = { code: Buffer.from(code).toString('utf8'), data: readFile(key, 'v8') };
  remember(key, e);
  touchOnDisk(key);
  return e;
}

/** Marks `key` as just used, on disk too (its mtime), so a restarted process keeps it longest. */
function touchOnDisk(key: string): void {
  const files = onDisk.get(key);
  if (!files || !dir) return;
  onDisk.delete(key);
  onDisk.set(key, files);
  const now = new Date();
  for (const ext of ['js', 'v8'] as const) {
    try {
      if (files[ext] > 0) utimesSync(join(dir, `${key}.${ext}`), now, now);
    } catch {
      // Gone meanwhile: the next write or trim settles it.
    }
  }
}

/** Settles once the cached data an isolate is producing for `key` is stored (or failed). */
export function cachedDataProduced(key: string): Promise<void> {
  return producing.get(key) ?? Promise.resolve();
}

/** Stores the cached data V8 produced from the script form of `key`. */
export function storeCachedData(key: string, data: Uint8Array): void {
  const e = entries.get(key);
  if (!e) return;
  remember(key, { code: e.code, data });
  writeFile(key, 'v8', data);
}

/** V8 refused the cached data of `key` (another V8 or flags): forget it, so it is produced again. */
export function dropCachedData(key: string): void {
  const e = entries.get(key);
  if (e) remember(key, { code: e.code, data: null });
}

/**
 * Derives the script form of a single ES module with no imports (esbuild, in its own
 * process) and stores it under `key`; once per key. Sources esbuild cannot express as
 * a script without changing meaning (top-level await; import.meta, which it would
 * empty; anything it warns about) are left to the module path.
 */
export function convertToScript(key: string, source: string, filename: string): Promise<void> {
  if (entries.has(key) || unfit.has(key)) return Promise.resolve();
  let pending = converting.get(key);
  if (pending) return pending;
  pending = transform(source, {
    format: 'iife',
    globalName: GLOBAL_NAME,
    target: 'esnext',
    charset: 'utf8',
    sourcefile: filename,
    logLevel: 'silent',
  }).then((out) => {
    const prefix = `var ${GLOBAL_NAME} = `;
    if (out.warnings.length > 0 || !out.code.startsWith(prefix)) {
      unfit.add(key);
      return;
    }
    // ES modules are strict code; the script's completion value is the exports object.
    const code = `"use strict";${out.code.slice(prefix.length)}`;
    remember(key, { code, data: null });
    writeFile(key, 'js', Buffer.from(code, 'utf8'));
  }, () => {
    unfit.add(key);
  }).finally(() => converting.delete(key));
  converting.set(key, pending);
  return pending;
}

/**
 * The cached data made after the top level lacks the functions only a request compiles
 * (the handler's), so every cold start compiled them again on its first request (about
 * 0.4 ms of a 100 KB bundle's 1.2 ms first request, bench/RESULTS.md). Returns the work
 * that produces the data again in an isolate that has served a request, once per key in
 * this process, or null when that was done or there is nothing to refresh yet. The caller
 * runs it while no task runs in the isolate: it compiles, and runs no JavaScript.
 */
export function refreshCachedData(isolate: ivm.Isolate, key: string, filename: string): (() => Promise<void>) | null {
  // While the data made after the top level is still being produced, a later isolate
  // refreshes it instead (this one would be overwritten).
  if (refreshed.has(key) || !entries.has(key) || producing.has(key)) return null;
  refreshed.add(key);
  return async () => {
    const e = entries.get(key);
    if (!e || isolate.isDisposed) return;
    await produceCachedData(isolate, key, e.code, filename);
  };
}

/**
 * Compiles the script form again in an isolate that ran it: V8 answers from its
 * compilation cache, with every function compiled so far, and that is what is stored.
 */
async function produceCachedData(isolate: ivm.Isolate, key: string, code: string, filename: string): Promise<void> {
  const again = await isolate.compileScript(code, { filename, produceCachedData: true });
  const data = (again as ivm.Script & ivm.CachedDataResult).cachedData?.copy();
  again.release();
  if (data) storeCachedData(key, new Uint8Array(data));
}

/** A worker's script form compiled in its isolate, not run yet. */
export interface CompiledScript {
  script: ivm.Script;
  /** The entry had cached data and V8 used it. */
  fromData: boolean;
}

/**
 * Compiles the worker's script form in `isolate`, with the cached data when there is
 * some, or resolves null when there is no script form for this source yet. It needs no
 * context, so it can start before the isolate's context is ready.
 */
export async function compileCachedScript(isolate: ivm.Isolate, key: string, filename: string): Promise<CompiledScript | null> {
  const e = lookupCode(key);
  if (!e) return null;
  let script: ivm.Script;
  const cachedData = e.data && new ivm.ExternalCopy(e.data.buffer.slice(e.data.byteOffset, e.data.byteOffset + e.data.byteLength) as ArrayBuffer);
  try {
    script = await isolate.compileScript(e.code, { filename, ...(cachedData && { cachedData }) });
  } catch {
    // The module compiled, so its script form should too: if not, it stays a module.
    entries.delete(key);
    unfit.add(key);
    return null;
  } finally {
    cachedData?.release();
  }
  const rejected = e.data !== null && (script as ivm.Script & { cachedDataRejected?: boolean }).cachedDataRejected === true;
  if (rejected) dropCachedData(key);
  return { script, fromData: e.data !== null && !rejected };
}

/**
 * Runs a compiled script form in `context` and returns its exports object. Without
 * cached data (none yet, or V8 rejected it), produces it in the background, after the
 * top level ran, so that it holds the functions the top level compiled.
 */
export async function runCompiledScript(isolate: ivm.Isolate, context: ivm.Context, key: string, filename: string, compiled: CompiledScript): Promise<ivm.Reference<Record<string, unknown>>> {
  const exports = (await compiled.script.run(context, { reference: true, release: true })) as ivm.Reference<Record<string, unknown>>;
  const e = entries.get(key);
  if (!compiled.fromData && e) {
    // After the top level ran, the data holds every function it compiled.
    const produced = produceCachedData(isolate, key, e.code, filename).catch(() => {}).finally(() => producing.delete(key));
    producing.set(key, produced);
  }
  return exports;
}
