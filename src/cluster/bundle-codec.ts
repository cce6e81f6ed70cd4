// A bundle (a version's modules) as one object in the bundle store, named by its hash:
// a 4-byte big-endian header length, a JSON header listing each module's name, type and
// byte length, then the modules' bytes in that order. Decoding checks the framing, and
// `verifyBundle` recomputes the version's hash, so an edge runs only the exact code that
// was uploaded: bytes changed in the store, on the wire or on its disk are refused.

import { bundleHash } from '../control/upload.ts';
import type { ModuleType } from '../runtime/modules.ts';
import type { StoredModule, Version } from '../store/control.ts';

const MODULE_TYPES: readonly ModuleType[] = ['esm', 'commonjs', 'text', 'data', 'wasm', 'json'];

export function encodeBundle(modules: StoredModule[]): Uint8Array {
  const header = Buffer.from(JSON.stringify(modules.map((m) => [m.name, m.type, m.content.byteLength])), 'utf8');
  const out = Buffer.alloc(4 + header.length + modules.reduce((n, m) => n + m.content.byteLength, 0));
  out.writeUInt32BE(header.length, 0);
  header.copy(out, 4);
  let at = 4 + header.length;
  for (const m of modules) {
    out.set(m.content, at);
    at += m.content.byteLength;
  }
  return out;
}

/** Throws an Error saying what is wrong with the framing. */
export function decodeBundle(bytes: Uint8Array): StoredModule[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4) throw new Error('bundle is shorter than its header');
  const headerLength = buf.readUInt32BE(0);
  if (4 + headerLength > buf.length) throw new Error('bundle header runs past its end');
  let header: unknown;
  try {
    header = JSON.parse(buf.subarray(4, 4 + headerLength).toString('utf8'));
  } catch {
    throw new Error('bundle header is not JSON');
  }
  if (!Array.isArray(header)) throw new Error('bundle header is not a list of modules');
  const modules: StoredModule[] = [];
  let at = 4 + headerLength;
  for (const entry of header as unknown[]) {
    const [name, type, size] = Array.isArray(entry) ? entry : [];
    if (typeof name !== 'string' || !MODULE_TYPES.includes(type as ModuleType) || !Number.isInteger(size) || (size as number) < 0) {
      throw new Error('bundle header has a malformed module entry');
    }
    if (at + (size as number) > buf.length) throw new Error(`module "${name}" runs past the end of the bundle`);
    modules.push({ name, type: type as ModuleType, content: new Uint8Array(buf.subarray(at, at + (size as number))) });
    at += size as number;
  }
  if (at !== buf.length) throw new Error('bundle has bytes after its last module');
  return modules;
}

export class BundleHashMismatch extends Error {
  constructor(version: Version, actual: string) {
    super(`bundle of version "${version.id}" of worker "${version.worker}" does not match its hash: expected ${version.hash}, got ${actual}; refused, the previous version keeps serving (redeploy the worker to store a good copy)`);
    this.name = 'BundleHashMismatch';
  }
}

/** The version's modules from the stored bytes, or BundleHashMismatch when they are not the uploaded code. */
export function verifyBundle(version: Version, bytes: Uint8Array): StoredModule[] {
  let modules: StoredModule[];
  try {
    modules = decodeBundle(bytes);
  } catch (err) {
    throw new BundleHashMismatch(version, `unreadable bytes (${(err as Error).message})`);
  }
  const actual = bundleHash(version, modules);
  if (actual !== version.hash) throw new BundleHashMismatch(version, actual);
  return modules;
}
