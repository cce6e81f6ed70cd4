// The worker `atoll dev` serves, through its whole life: built, loaded into an isolate,
// rebuilt and swapped when its files change (a build that fails keeps the last good
// version serving), and replaced when its isolate dies of a limit.

import { relative } from 'node:path';
import { Bundler, type WorkerBundle } from '../bundle/bundle.ts';
import { BundleError } from '../bundle/errors.ts';
import { UserError } from '../runtime/errors.ts';
import type { HostServices } from '../runtime/ops/index.ts';
import { WorkerIsolate, type WorkerDefinition } from '../runtime/worker-isolate.ts';
import { ms, type DevLog } from './log.ts';
import type { WorkerSettings } from './settings.ts';
import { stackMapper, type StackMapper } from './stack.ts';

/** How long a replaced isolate may finish its in-flight requests before it is stopped. */
const RETIRE_GRACE_MS = 30_000;

interface Loaded {
  settings: WorkerSettings;
  bundle: WorkerBundle;
  def: WorkerDefinition;
  mapStack: StackMapper;
}

export class DevWorker {
  readonly #log: DevLog;
  readonly #services: HostServices;
  /** What the bundler was made for; a change of entry, folder or rules needs a new one. */
  #bundlerFor: WorkerSettings;
  #bundler: Bundler;
  #loaded: Loaded | null = null;
  #isolate: WorkerIsolate | null = null;
  #replacing: Promise<WorkerIsolate> | null = null;
  /** Why there is no worker to serve (the first build failed), shown to clients. */
  #problem: string | null = null;
  /** Files a failed build pointed at (or a failed load read), watched until a load succeeds. */
  #errorFiles: string[] = [];
  #version = 0;

  constructor(settings: WorkerSettings, services: HostServices, log: DevLog) {
    this.#bundlerFor = settings;
    this.#services = services;
    this.#log = log;
    this.#bundler = new Bundler(this.#bundleOptions(settings));
  }

  #bundleOptions(s: WorkerSettings) {
    return { entry: s.entry, projectDir: s.projectDir, rules: s.rules, mode: 'development' as const };
  }

  /** Every file the current build read, and those a failed build pointed at (for the watcher). */
  get inputs(): string[] {
    return [...(this.#loaded?.bundle.inputs ?? []), ...this.#errorFiles];
  }

  get problem(): string | null {
    return this.#problem;
  }

  mapStack(stack: string): string {
    return this.#loaded ? this.#loaded.mapStack(stack) : stack;
  }

  /**
   * Builds and loads the worker. When the code does not build or its top level throws,
   * it logs why, and the previous version, if any, keeps serving.
   */
  async load(reason: string, settings: WorkerSettings): Promise<void> {
    const t0 = performance.now();
    const was = this.#bundlerFor;
    if (settings.entry !== was.entry || settings.projectDir !== was.projectDir || JSON.stringify(settings.rules) !== JSON.stringify(was.rules)) {
      const old = this.#bundler;
      this.#bundler = new Bundler(this.#bundleOptions(settings));
      this.#bundlerFor = settings;
      void old.dispose();
    }
    let bundle: WorkerBundle;
    try {
      bundle = await this.#bundler.build();
    } catch (err) {
      if (!(err instanceof BundleError)) throw err;
      this.#errorFiles = err.files;
      this.#failed('build_error', `Build failed: ${err.message}`, { files: err.files });
      return;
    }
    for (const w of bundle.warnings) this.#log.write('warn', 'build_warning', w);
    if (this.#loaded && settings === this.#loaded.settings && bundle.hash === this.#loaded.bundle.hash) {
      // Back to the code that is running (an error was undone): say so, as the last
      // thing the user saw was the error.
      if (this.#errorFiles.length > 0) this.#log.write('info', 'loaded', 'The code is the same as the version running; still serving it', { reason: 'unchanged', hash: bundle.hash });
      this.#errorFiles = [];
      return;
    }
    const def = this.#definition(settings, bundle);
    let isolate: WorkerIsolate;
    try {
      isolate = await WorkerIsolate.create(def, this.#services);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      this.#errorFiles = bundle.inputs;
      this.#failed('load_error', `The worker failed to start: ${this.#mapTopLevel(bundle, err.message)}`, { code: err.code });
      return;
    }
    const previous = this.#isolate;
    this.#loaded = { settings, bundle, def, mapStack: stackMapper(bundle.mainModule, bundle.sourceMap) };
    this.#isolate = isolate;
    this.#problem = null;
    this.#errorFiles = [];
    if (previous) this.#retire(previous);
    const entry = relative(settings.projectDir, settings.entry);
    this.#log.write('info', 'loaded', `${reason === 'start' ? 'Loaded' : 'Reloaded'} ${entry} (${bundle.format === 'modules' ? 'ES modules' : 'service worker'}, ${bundle.modules.length} module${bundle.modules.length === 1 ? '' : 's'}) in ${ms(performance.now() - t0)} ms`, {
      reason, format: bundle.format, modules: bundle.modules.length, hash: bundle.hash, buildMs: bundle.buildMs, totalMs: performance.now() - t0,
    });
  }

  #mapTopLevel(bundle: WorkerBundle, message: string): string {
    return stackMapper(bundle.mainModule, bundle.sourceMap)(message);
  }

  #failed(event: string, message: string, fields: Record<string, unknown>): void {
    const keeping = this.#loaded ? ' (still serving the last version that worked)' : '';
    if (!this.#loaded) this.#problem = message;
    this.#log.write('error', event, `${message}${keeping}`, fields);
  }

  #definition(s: WorkerSettings, bundle: WorkerBundle): WorkerDefinition {
    return {
      name: s.name,
      versionId: `dev-${++this.#version}-${bundle.hash}`,
      format: bundle.format,
      mainModule: bundle.mainModule,
      modules: bundle.modules,
      bindings: s.bindings,
      compatibilityDate: s.compatibilityDate,
      compatibilityFlags: s.compatibilityFlags,
      limits: s.limits,
      dev: true,
    };
  }

  /** Lets a replaced isolate finish what it is doing, then stops it. */
  #retire(old: WorkerIsolate): void {
    const deadline = Date.now() + RETIRE_GRACE_MS;
    const check = () => {
      if (old.dead) return;
      if (old.invocations.size === 0 || Date.now() > deadline) old.dispose();
      else setTimeout(check, 100).unref();
    };
    check();
  }

  /** The isolate to run the next request in: a fresh one if the last died of a limit. */
  async current(): Promise<WorkerIsolate | null> {
    const w = this.#isolate;
    if (w === null || !w.dead) return w;
    return this.#replace(w);
  }

  /** Called from HostServices.onDead: start the replacement before the next request. */
  onDead(worker: WorkerIsolate, reason: string): void {
    if (worker !== this.#isolate || reason === 'canceled') return;
    this.#log.write('warn', 'isolate_replaced', `The worker's isolate stopped (${reason}); starting a fresh one.`, { reason });
    void this.#replace(worker).catch(() => {});
  }

  #replace(dead: WorkerIsolate): Promise<WorkerIsolate> {
    this.#replacing ??= WorkerIsolate.create(this.#loaded!.def, this.#services).then(
      (w) => {
        if (this.#isolate === dead) this.#isolate = w;
        else w.dispose();
        this.#replacing = null;
        return this.#isolate!;
      },
      (err) => {
        this.#replacing = null;
        throw err;
      },
    );
    return this.#replacing;
  }

  async close(): Promise<void> {
    this.#isolate?.dispose();
    this.#isolate = null;
    await this.#bundler.dispose();
  }
}
