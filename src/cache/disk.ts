// The disk tier of a location's cache: one file per stored response under the cache
// folder (fanned out by the first two hex digits of its id), written to a temporary
// name and renamed, so a crash leaves either the old file or the new one. A file is
// "ATC1", the metadata's length (uint32), the metadata as JSON, then the body.
// On start the folder is scanned and only the metadata is read back (asynchronously, a
// batch of files at a time): bodies stay on disk until a request needs them.

import { mkdirSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

const MAGIC = Buffer.from('ATC1');
const HEAD = 8;
/** Metadata larger than this is not ours (or is damaged): the file is dropped on load. */
const MAX_META = 1024 * 1024;
/** Files whose metadata is read at once when a store loads. */
const LOAD_BATCH = 32;

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
   * Every stored file's metadata, read a few files at a time so the event loop stays
   * free. Leftover temporary files and files that do not parse are deleted.
   */
  async load(parse: (meta: unknown) => M | null): Promise<LoadedFile<M>[]> {
    const paths: string[] = [];
    for (const sub of await readdir(this.dir)) {
      const subdir = join(this.dir, sub);
      if (!/^[0-9a-f]{2}$/.test(sub) || !(await stat(subdir)).isDirectory()) continue;
      for (const name of await readdir(subdir)) paths.push(join(subdir, name));
    }
    const out: LoadedFile<M>[] = [];
    for (let i = 0; i < paths.length; i += LOAD_BATCH) {
      await Promise.all(paths.slice(i, i + LOAD_BATCH).map(async (path) => {
        const name = basename(path);
        const meta = /^[0-9a-f]{64}$/.test(name) ? await readMeta(path, parse) : null;
        if (meta === null) await rm(path, { force: true });
        else out.push({ id: name, meta: meta.meta, bodySize: meta.bodySize });
      }));
    }
    return out;
  }
}

async function readMeta<M>(path: string, parse: (meta: unknown) => M | null): Promise<{ meta: M; bodySize: number } | null> {
  let file;
  try {
    file = await open(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = (await file.stat()).size;
    const head = Buffer.alloc(HEAD);
    if ((await file.read(head, 0, HEAD, 0)).bytesRead !== HEAD || !head.subarray(0, 4).equals(MAGIC)) return null;
    const len = head.readUInt32BE(4);
    if (len > MAX_META || HEAD + len > size) return null;
    const json = Buffer.alloc(len);
    if ((await file.read(json, 0, len, HEAD)).bytesRead !== len) return null;
    let raw: unknown;
    try {
      raw = JSON.parse(json.toString('utf8'));
    } catch {
      return null;
    }
    const meta = parse(raw);
    return meta === null ? null : { meta, bodySize: size - HEAD - len };
  } finally {
    await file.close();
  }
}
