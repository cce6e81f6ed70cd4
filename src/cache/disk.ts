// The disk tier of a location's cache: one file per stored response under the cache
// folder (fanned out by the first two hex digits of its id), written to a temporary
// name and renamed, so a crash leaves either the old file or the new one. A file is
// "ATC1", the metadata's length (uint32), the metadata as JSON, then the body.
// On start the folder is scanned and only the metadata is read back: bodies stay on
// disk until a request needs them.

import { closeSync, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const MAGIC = Buffer.from('ATC1');
const HEAD = 8;
/** Metadata larger than this is not ours (or is damaged): the file is dropped on load. */
const MAX_META = 1024 * 1024;

export interface LoadedFile<M> {
  id: string;
  meta: M;
  bodySize: number;
}

export class DiskTier<M> {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  #path(id: string): string {
    return join(this.dir, id.slice(0, 2), id);
  }

  async write(id: string, meta: M, body: Uint8Array): Promise<void> {
    const json = Buffer.from(JSON.stringify(meta));
    const head = Buffer.alloc(HEAD);
    MAGIC.copy(head, 0);
    head.writeUInt32BE(json.length, 4);
    const path = this.#path(id);
    await mkdir(join(this.dir, id.slice(0, 2)), { recursive: true });
    const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await writeFile(tmp, Buffer.concat([head, json, body]));
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** The body of a stored file, or null when the file is gone or damaged. */
  async body(id: string): Promise<Uint8Array | null> {
    let data: Buffer;
    try {
      data = await readFile(this.#path(id));
    } catch {
      return null;
    }
    if (data.length < HEAD || !data.subarray(0, 4).equals(MAGIC)) return null;
    const start = HEAD + data.readUInt32BE(4);
    return start > data.length ? null : data.subarray(start);
  }

  async remove(id: string): Promise<void> {
    await rm(this.#path(id), { force: true });
  }

  /**
   * Every stored file's metadata (synchronous: it runs once, when the location starts).
   * Leftover temporary files and files that do not parse are deleted.
   */
  load(parse: (meta: unknown) => M | null): LoadedFile<M>[] {
    const out: LoadedFile<M>[] = [];
    for (const sub of readdirSync(this.dir)) {
      const subdir = join(this.dir, sub);
      if (!/^[0-9a-f]{2}$/.test(sub) || !statSync(subdir).isDirectory()) continue;
      for (const name of readdirSync(subdir)) {
        const path = join(subdir, name);
        const meta = /^[0-9a-f]{64}$/.test(name) ? readMeta(path, parse) : null;
        if (meta === null) {
          rmSync(path, { force: true });
          continue;
        }
        out.push({ id: name, meta: meta.meta, bodySize: meta.bodySize });
      }
    }
    return out;
  }
}

function readMeta<M>(path: string, parse: (meta: unknown) => M | null): { meta: M; bodySize: number } | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = statSync(path).size;
    const head = Buffer.alloc(HEAD);
    if (readSync(fd, head, 0, HEAD, 0) !== HEAD || !head.subarray(0, 4).equals(MAGIC)) return null;
    const len = head.readUInt32BE(4);
    if (len > MAX_META || HEAD + len > size) return null;
    const json = Buffer.alloc(len);
    if (readSync(fd, json, 0, len, HEAD) !== len) return null;
    let raw: unknown;
    try {
      raw = JSON.parse(json.toString('utf8'));
    } catch {
      return null;
    }
    const meta = parse(raw);
    return meta === null ? null : { meta, bodySize: size - HEAD - len };
  } finally {
    closeSync(fd);
  }
}
