// Watches the files a worker was built from. Their folders are watched rather than the
// files (editors often save by writing a new file and renaming it over the old one,
// which a watch on the file itself would lose); events for other files in those
// folders are dropped, and a burst of events becomes one call.

import { watch, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';

export class Watcher {
  readonly #onChange: (paths: string[]) => void;
  readonly #debounceMs: number;
  readonly #dirs = new Map<string, FSWatcher>();
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
    for (const [dir, w] of this.#dirs) {
      if (!wanted.has(dir)) {
        w.close();
        this.#dirs.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.#dirs.has(dir)) continue;
      try {
        const w = watch(dir, (_event, name) => {
          const path = name === null ? null : join(dir, name);
          if (path !== null && this.#files.has(path)) this.#changed(path);
        });
        w.on('error', () => { w.close(); this.#dirs.delete(dir); });
        this.#dirs.set(dir, w);
      } catch {
        // The folder is gone (deleted, renamed); its files will fail the next build,
        // whose error names them.
      }
    }
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
    for (const w of this.#dirs.values()) w.close();
    this.#dirs.clear();
  }
}
