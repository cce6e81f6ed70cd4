// Bundles a worker with esbuild the way wrangler does, into the module list the runtime
// loads: an ES-module worker becomes one bundled main module plus a module for each
// text, data or WebAssembly import; a service-worker script (an entry with no exports)
// becomes one classic script. `atoll dev` keeps a Bundler for fast rebuilds; `atoll
// deploy` can build once with bundleWorker.

import { createHash } from 'node:crypto';
import { basename, dirname, join, relative, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import type { ModuleRule } from '../config/types.ts';
import type { ModuleSource } from '../runtime/modules.ts';
import type { WorkerFormat } from '../shared/ops.ts';
import { BundleError, formatMessage } from './errors.ts';
import { moduleRulesPlugin, type ModuleRulesState } from './module-rules-plugin.ts';
import { compileRules } from './rules.ts';

export interface BundleOptions {
  /** Absolute path of the entry module. */
  entry: string;
  /** Folder that paths in messages are relative to (where the config file is). */
  projectDir: string;
  rules: ModuleRule[];
  /** Sets `process.env.NODE_ENV` in the bundle, as wrangler does. */
  mode: 'development' | 'production';
}

export interface WorkerBundle {
  format: WorkerFormat;
  mainModule: string;
  modules: ModuleSource[];
  /** Source map of the main module (sources relative to the project folder). */
  sourceMap: string;
  /** Absolute paths of every file the bundle was made from. */
  inputs: string[];
  /** Hash of all modules: equal hashes mean nothing changed. */
  hash: string;
  warnings: string[];
  buildMs: number;
}

interface Side {
  ctx: esbuild.BuildContext<{ metafile: true; write: false }>;
  state: ModuleRulesState;
}

export class Bundler {
  readonly options: BundleOptions;
  #esm: Promise<Side> | null = null;
  #script: Promise<Side> | null = null;

  constructor(options: BundleOptions) {
    this.options = options;
  }

  #side(format: 'esm' | 'iife'): Promise<Side> {
    const { entry, projectDir, rules, mode } = this.options;
    const state: ModuleRulesState = { modules: new Map(), files: new Set() };
    const outdir = join(projectDir, '.atoll', 'bundle');
    return esbuild.context({
      entryPoints: [entry],
      absWorkingDir: projectDir,
      outdir,
      entryNames: '[name]',
      bundle: true,
      write: false,
      metafile: true,
      format,
      target: 'es2022',
      platform: 'neutral',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['browser', 'module', 'main'],
      // wrangler parses .js files as JSX too; projects written for it rely on that.
      loader: { '.js': 'jsx', '.mjs': 'jsx', '.cjs': 'jsx' },
      define: { 'process.env.NODE_ENV': JSON.stringify(mode) },
      sourcemap: 'external',
      keepNames: true,
      logLevel: 'silent',
      plugins: [moduleRulesPlugin(compileRules(rules), format === 'esm' ? 'external' : 'inline', state)],
    }).then((ctx) => ({ ctx, state }));
  }

  async #run(format: 'esm' | 'iife'): Promise<{ result: esbuild.BuildResult<{ metafile: true; write: false }>; state: ModuleRulesState }> {
    const slot = format === 'esm' ? (this.#esm ??= this.#side('esm')) : (this.#script ??= this.#side('iife'));
    const { ctx, state } = await slot;
    try {
      return { result: await ctx.rebuild(), state };
    } catch (err) {
      const errors = (err as esbuild.BuildFailure).errors;
      if (!Array.isArray(errors)) throw err;
      throw new BundleError(errors, this.options.projectDir);
    }
  }

  /** Builds the worker. Throws BundleError (with file:line:col) when the code does not build. */
  async build(): Promise<WorkerBundle> {
    const t0 = performance.now();
    const { projectDir } = this.options;
    const esm = await this.#run('esm');
    const main = esm.result.outputFiles.find((f) => f.path.endsWith('.js'))!;
    const exports = Object.values(esm.result.metafile.outputs).find((o) => o.entryPoint !== undefined)?.exports ?? [];
    const format: WorkerFormat = exports.length > 0 ? 'modules' : 'service-worker';
    const built = format === 'modules' ? esm : await this.#run('iife');
    const code = built.result.outputFiles.find((f) => f.path.endsWith('.js'))!;
    const map = built.result.outputFiles.find((f) => f.path.endsWith('.js.map'));
    const mainModule = basename(main.path);
    const modules: ModuleSource[] = [{ name: mainModule, type: 'esm', content: code.text }, ...built.state.modules.values()];
    const hash = createHash('sha256');
    for (const m of modules) hash.update(m.name).update('\0').update(m.content).update('\0');
    const inputs = new Set([
      ...Object.keys(built.result.metafile.inputs).filter((p) => !p.includes(':')).map((p) => resolve(projectDir, p)),
      ...built.state.files,
    ]);
    return {
      format,
      mainModule,
      modules,
      sourceMap: map ? relativeSources(map.text, dirname(code.path), projectDir) : '',
      inputs: [...inputs],
      hash: hash.digest('hex').slice(0, 16),
      warnings: [...esm.result.warnings, ...(built === esm ? [] : built.result.warnings)].map((w) => formatMessage(w, 'warning', projectDir)),
      buildMs: performance.now() - t0,
    };
  }

  async dispose(): Promise<void> {
    const sides = [this.#esm, this.#script].filter((s) => s !== null);
    this.#esm = this.#script = null;
    await Promise.all(sides.map(async (s) => (await s.catch(() => null))?.ctx.dispose()));
  }
}

/** Rewrites a source map's sources from the output folder to the project folder. */
function relativeSources(mapText: string, outDir: string, projectDir: string): string {
  const map = JSON.parse(mapText) as { sources: string[]; sourceRoot?: string };
  map.sources = map.sources.map((s) => relative(projectDir, resolve(outDir, s)));
  delete map.sourceRoot;
  return JSON.stringify(map);
}

/** Builds a worker once (for deploys and tests). */
export async function bundleWorker(options: BundleOptions): Promise<WorkerBundle> {
  const bundler = new Bundler(options);
  try {
    return await bundler.build();
  } finally {
    await bundler.dispose();
  }
}
