// The dashboard's built files (dist/dashboard/, see build.ts), served as they are:
// index.html is revalidated on every load, the content-hashed assets are cached for a
// year. When the folder is missing (a checkout where `npm install` did not build it) the
// first request builds it; when that fails, the page says how to build it by hand.

import { readFile, readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { buildDashboard, DASHBOARD_DIST } from './build.ts';

export interface Asset {
  body: Uint8Array;
  type: string;
  cache: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export class DashboardAssets {
  readonly #dir: string;
  #loading: Promise<Map<string, Asset>> | null = null;

  constructor(dir = DASHBOARD_DIST) {
    this.#dir = dir;
  }

  /** The asset at `path` ("index.html", "assets/app-XXXX.js"), or null. */
  async get(path: string): Promise<Asset | null> {
    this.#loading ??= this.#load().catch((err) => {
      this.#loading = null;
      throw err;
    });
    return (await this.#loading).get(path) ?? null;
  }

  async #load(): Promise<Map<string, Asset>> {
    let names = await listFiles(this.#dir);
    if (!names.includes('index.html')) {
      try {
        await buildDashboard(this.#dir);
      } catch (err) {
        throw new Error(`the dashboard is not built and building it failed (${(err as Error).message}); run "npm run build:dashboard" in the atoll folder`);
      }
      names = await listFiles(this.#dir);
    }
    const files = new Map<string, Asset>();
    for (const name of names) {
      files.set(name, {
        body: new Uint8Array(await readFile(join(this.#dir, name))),
        type: TYPES[extname(name)] ?? 'application/octet-stream',
        cache: name === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable',
      });
    }
    return files;
  }
}

async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1).split('\\').join('/'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
