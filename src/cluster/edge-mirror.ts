// An edge's local copy of what it serves, under its data folder, so it restarts and
// serves with neither NATS nor the control plane reachable (static stability):
//   mirror.sqlite3   every control record as last seen (key, bytes, revision), the
//                    deployment the edge applied per worker, and how far each bucket's
//                    watch got;
//   bundles/<hash>   each bundle's bytes as fetched (checked against the version's hash
//                    before it is written and again whenever it is loaded); pruned to
//                    the ones the edge may still need (nats-edge-source.ts).
// Records are small, so SQLite runs on the main thread here; bundles (up to 10 MB) are
// files written off the main thread.

import { mkdirSync } from 'node:fs';
import { readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { EdgeDeployment } from '../edge/config-source.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, value BLOB NOT NULL, revision INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS applied (worker_key TEXT PRIMARY KEY, deployment TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS progress (bucket TEXT PRIMARY KEY, revision INTEGER NOT NULL);
`;

/** A `.tmp` bundle file older than this is a write a crash cut short. */
const TMP_STALE_MS = 10 * 60_000;

export class EdgeMirror {
  readonly dir: string;
  readonly #db: DatabaseSync;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(join(dir, 'bundles'), { recursive: true });
    this.#db = new DatabaseSync(join(dir, 'mirror.sqlite3'), { timeout: 5000 });
    // NORMAL: a crash of the process loses nothing; a power cut may lose the last
    // entries, which the watch delivers again (progress is saved with them).
    this.#db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
    this.#db.exec(SCHEMA);
  }

  records(): { key: string; value: Uint8Array; revision: number }[] {
    return (this.#db.prepare('SELECT key, value, revision FROM records ORDER BY revision').all() as { key: string; value: Uint8Array; revision: number }[])
      .map((r) => ({ key: r.key, value: new Uint8Array(r.value), revision: Number(r.revision) }));
  }

  /** Stores one control entry (null: deleted) and the watch's progress in one commit. */
  applyRecord(key: string, value: Uint8Array | null, revision: number): void {
    this.#db.exec('BEGIN');
    try {
      if (value === null) this.#db.prepare('DELETE FROM records WHERE key = ?').run(key);
      else this.#db.prepare('INSERT INTO records VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, revision = excluded.revision').run(key, value, revision);
      this.#setProgress('control', revision);
      this.#db.exec('COMMIT');
    } catch (err) {
      this.#db.exec('ROLLBACK');
      throw err;
    }
  }

  #setProgress(bucket: string, revision: number): void {
    this.#db.prepare('INSERT INTO progress VALUES (?, ?) ON CONFLICT (bucket) DO UPDATE SET revision = max(revision, excluded.revision)').run(bucket, revision);
  }

  setProgress(bucket: string, revision: number): void {
    this.#setProgress(bucket, revision);
  }

  progress(bucket: string): number {
    const r = this.#db.prepare('SELECT revision FROM progress WHERE bucket = ?').get(bucket) as { revision: number } | undefined;
    return r ? Number(r.revision) : 0;
  }

  /** The deployments this edge applied (and so serves), by `account/worker`. */
  applied(): Map<string, EdgeDeployment> {
    const rows = this.#db.prepare('SELECT worker_key, deployment FROM applied').all() as { worker_key: string; deployment: string }[];
    return new Map(rows.map((r) => [r.worker_key, JSON.parse(r.deployment) as EdgeDeployment]));
  }

  setApplied(workerKey: string, deployment: EdgeDeployment | null): void {
    if (deployment === null) this.#db.prepare('DELETE FROM applied WHERE worker_key = ?').run(workerKey);
    else this.#db.prepare('INSERT INTO applied VALUES (?, ?) ON CONFLICT (worker_key) DO UPDATE SET deployment = excluded.deployment').run(workerKey, JSON.stringify(deployment));
  }

  #bundleFile(hash: string): string {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new Error(`"${hash.slice(0, 80)}" is not a bundle hash (64 hex digits)`);
    return join(this.dir, 'bundles', hash);
  }

  async readBundle(hash: string): Promise<Uint8Array | null> {
    try {
      return new Uint8Array(await readFile(this.#bundleFile(hash)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Written beside and renamed, so a crash leaves the whole bundle or none. */
  async writeBundle(hash: string, bytes: Uint8Array): Promise<void> {
    const file = this.#bundleFile(hash);
    await writeFile(`${file}.tmp`, bytes);
    await rename(`${file}.tmp`, file);
  }

  /**
   * Deletes every bundle file whose hash is not in `keep`, and writes a crash cut short
   * (`.tmp` files older than TMP_STALE_MS: a younger one may be a write in progress).
   */
  async pruneBundles(keep: ReadonlySet<string>): Promise<{ files: number; bytes: number }> {
    const dir = join(this.dir, 'bundles');
    let files = 0;
    let bytes = 0;
    for (const name of await readdir(dir)) {
      const hash = /^([0-9a-f]{64})(\.tmp)?$/.exec(name);
      if (!hash || (!hash[2] && keep.has(hash[1]))) continue;
      const file = join(dir, name);
      try {
        const st = await stat(file);
        if (hash[2] && Date.now() - st.mtimeMs < TMP_STALE_MS) continue;
        await unlink(file);
        files++;
        bytes += st.size;
      } catch {
        // Gone meanwhile.
      }
    }
    return { files, bytes };
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}
