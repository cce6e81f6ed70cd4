// Builds the dashboard's browser code (src/dashboard/ui/) with esbuild into
// dist/dashboard/: one script and one stylesheet named by their content hash, and an
// index.html that loads them. `npm install` runs it (the `prepare` script, through
// bin/build-dashboard.js); the control plane runs it on demand when the folder is
// missing. Everything the page needs is in that folder: no CDN, no network.

import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const DASHBOARD_DIST = join(here, '..', '..', 'dist', 'dashboard');
const ENTRY = join(here, 'ui', 'main.ts');
const STYLE = join(here, 'ui', 'style.css');
const PAGE = join(here, 'ui', 'index.html');

/** Builds into `out` (replacing what was there) and returns the files written. */
export async function buildDashboard(out = DASHBOARD_DIST): Promise<string[]> {
  // Built beside the target and renamed into place, so a server never reads half a build.
  const tmp = `${out}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(join(tmp, 'assets'), { recursive: true });
  try {
    const result = await esbuild.build({
      entryPoints: { app: ENTRY, style: STYLE },
      bundle: true,
      minify: true,
      format: 'esm',
      target: 'es2022',
      platform: 'browser',
      sourcemap: false,
      legalComments: 'linked',
      entryNames: '[name]-[hash]',
      outdir: join(tmp, 'assets'),
      metafile: true,
      logLevel: 'silent',
    });
    const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
    const script = outputs.find((f) => /^app-.*\.js$/.test(f));
    const style = outputs.find((f) => /^style-.*\.css$/.test(f));
    if (!script || !style) throw new Error(`the dashboard build wrote ${outputs.join(', ')}, without its script or stylesheet`);
    const page = (await readFile(PAGE, 'utf8')).replace('%STYLE%', `assets/${style}`).replace('%SCRIPT%', `assets/${script}`);
    await writeFile(join(tmp, 'index.html'), page);
    await rm(out, { recursive: true, force: true });
    await mkdir(dirname(out), { recursive: true });
    try {
      await rename(tmp, out);
    } catch (err) {
      // Another process built it at the same moment; its build is as good as ours.
      if (!existsSync(join(out, 'index.html'))) throw err;
      await rm(tmp, { recursive: true, force: true });
    }
    return ['index.html', ...outputs.map((f) => `assets/${f}`)];
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  const files = await buildDashboard();
  console.log(`dashboard built into ${DASHBOARD_DIST} (${files.length} files, ${Math.round(performance.now() - t0)} ms)`);
}
