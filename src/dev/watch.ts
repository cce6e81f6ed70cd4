// Watches the files a worker was built from. Their folders are watched rather than the
// files (editors often save by writing a new file and renaming it over the old one,
// which a watch on the file itself would lose); events for other files in those
// folders are dropped, and a burst of events becomes one call. A folder that is
// deleted (a branch switch, `rm -r src`) is looked for again until it is back.

import { existsSync, watch, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';

/** How often a deleted folder is looked for. */
const RECHECK_MS = 200;

export class Watcher {
  readonly #onChange: (paths: string[]) => void;
  readonly #debounceMs: number;
  readonly #dirs = new Map<string, FSWatcher | NodeJS.Timeout>();
  #files = new Set<string>();
  #pending = new Set<string>();
  #timer: NodeJS.Timeout | null = null;

  constructor(onChange: (paths: string[]) => void, debounceMs = 30) {
    this.#onChange = onChange;
    this.#debounceMs = debounceMs;
  }

  /** Watches `files` from now on (and stops watching folders no longer needed). */
  set(files: Iterable<string>): void {
    this.#files = new Set(files);
    const wanted = new Set([...this.#files].map((f) => dirname(f)));
    for (const dir of this.#dirs.keys()) {
      if (!wanted.has(dir)) this.#unwatch(dir);
    }
    for (const dir of wanted) {
      if (!this.#dirs.has(dir)) this.#watch(dir);
    }
  }

  #watch(dir: string): void {
    let w: FSWatcher;
    try {
      w = watch(dir, (_event, name) => {
        const path = name === null ? null : join(dir, name);
        if (path !== null && this.#files.has(path)) this.#changed(path);
        else if (!existsSync(dir)) this.#lost(dir);
      });
    } catch {
      this.#lost(dir);
      return;
    }
    w.on('error', () => this.#lost(dir));
    this.#dirs.set(dir, w);
  }

  #unwatch(dir: string): void {
    const w = this.#dirs.get(dir);
    if (w === undefined) return;
    if ('close' in w) w.close();
    else clearInterval(w);
    this.#dirs.delete(dir);
  }

  /** The folder is gone: report its files (the rebuild says what is missing), then wait for it. */
  #lost(dir: string): void {
    this.#unwatch(dir);
    const inDir = () => [...this.#files].filter((f) => dirname(f) === dir);
    for (const f of inDir()) this.#changed(f);
    const poll = setInterval(() => {
      if (!existsSync(dir)) return;
      this.#unwatch(dir);
      this.#watch(dir);
      for (const f of inDir()) this.#changed(f);
    }, RECHECK_MS);
    poll.unref();
    this.#dirs.set(dir, poll);
  }

  #changed(path: string): void {
    this.#pending.add(path);
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      const paths = [...this.#pending];
      this.#pending = new Set();
      this.#onChange(paths);
    }, this.#debounceMs);
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    for (const dir of [...this.#dirs.keys()]) this.#unwatch(dir);
  }
}
