// A worker's code as the runtime receives it: named modules, as Workers uploads them
// (ES modules, CommonJS, text, data, WebAssembly, JSON), plus how to load them into an
// isolate: ES modules are compiled and linked by name; the other types become small
// synthetic ES modules whose default export is the value.

import ivm from './ivm.ts';
import { posix } from 'node:path';
import { UserError } from './errors.ts';

export type ModuleType = 'esm' | 'commonjs' | 'text' | 'data' | 'wasm' | 'json';

export interface ModuleSource {
  /** The module's name, a relative path such as `index.js` or `lib/util.mjs`. */
  name: string;
  type: ModuleType;
  content: string | Uint8Array;
}

/** Global that carries binary module contents during evaluation; deleted right after. */
const BYTES_GLOBAL = '__atoll_module_bytes';

export function moduleText(m: ModuleSource): string {
  return typeof m.content === 'string' ? m.content : new TextDecoder().decode(m.content);
}

function asBytes(m: ModuleSource): Uint8Array {
  return typeof m.content === 'string' ? new TextEncoder().encode(m.content) : m.content;
}

/** ES module source for one module of any type. */
function esmSource(m: ModuleSource): string {
  const key = JSON.stringify(m.name);
  switch (m.type) {
    case 'esm':
      return moduleText(m);
    case 'text':
      return `export default ${JSON.stringify(moduleText(m))};`;
    case 'json': {
      const text = moduleText(m);
      try {
        JSON.parse(text);
      } catch (err) {
        throw new UserError(`module "${m.name}" is not valid JSON: ${(err as Error).message}`);
      }
      return `export default ${text};`;
    }
    case 'data':
      return `const b = globalThis.${BYTES_GLOBAL}[${key}]; export default b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);`;
    case 'wasm':
      return `export default new WebAssembly.Module(globalThis.${BYTES_GLOBAL}[${key}]);`;
    case 'commonjs':
      // A CommonJS module gets its own module/exports; `require` of other modules is
      // not offered (bundle npm dependencies instead, as `atoll dev` and deploy do).
      return `const module = { exports: {} }; const exports = module.exports;\n(function (module, exports) {\n${moduleText(m)}\n})(module, exports);\nexport default module.exports;`;
  }
}

/** The size of an upload, in bytes, as the bundle size limit counts it. */
export function bundleBytes(modules: ModuleSource[]): number {
  let n = 0;
  for (const m of modules) n += typeof m.content === 'string' ? Buffer.byteLength(m.content) : m.content.byteLength;
  return n;
}

/** Resolves `specifier` imported from module `referrer` to a module name. */
export function resolveSpecifier(specifier: string, referrer: string, names: Set<string>): string {
  if (names.has(specifier)) return specifier;
  if (specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('/')) {
    const joined = posix.normalize(posix.join(posix.dirname(referrer), specifier)).replace(/^\/+/, '');
    if (names.has(joined)) return joined;
  }
  throw new UserError(`module "${referrer}" imports "${specifier}", which is not among the uploaded modules (${[...names].join(', ')})`);
}

/**
 * Compiles, links and evaluates the module graph from `main`. Returns the namespace of
 * the main module (a Reference inside the isolate). `onSingleModule` hears of a worker
 * that is one ES module importing nothing: the shape the code cache can take. Evaluation has no timeout of its
 * own: the caller bounds its CPU time with the watchdog, as it does for requests.
 */
export async function loadModules(
  isolate: ivm.Isolate,
  context: ivm.Context,
  modules: ModuleSource[],
  main: string,
  onSingleModule?: (source: string, filename: string) => void,
): Promise<ivm.Reference<Record<string, unknown>>> {
  const byName = new Map(modules.map((m) => [m.name, m]));
  const names = new Set(byName.keys());
  if (!byName.has(main)) throw new UserError(`main module "${main}" is not among the modules (${[...names].join(', ')})`);
  const compiled = new Map<string, ivm.Module>();
  const compiling = new Map<string, Promise<ivm.Module>>();
  // Compiled on the isolate's thread: a large bundle does not hold up the main thread
  // (every other worker's requests and the watchdog) for the length of its compile.
  const compile = (name: string): Promise<ivm.Module> => {
    let pending = compiling.get(name);
    if (pending) return pending;
    pending = (async () => {
      try {
        const mod = await isolate.compileModule(esmSource(byName.get(name)!), { filename: `file:///${name}` });
        compiled.set(name, mod);
        return mod;
      } catch (err) {
        throw new UserError(`${name}: ${(err as Error).message}`, 'syntax_error');
      }
    })();
    // Whoever asked awaits it; a failure nobody is left to wait for is not a crash.
    pending.catch(() => {});
    compiling.set(name, pending);
    return pending;
  };
  const binary = modules.filter((m) => m.type === 'data' || m.type === 'wasm');
  if (binary.length > 0) {
    const table: Record<string, Uint8Array> = {};
    for (const m of binary) table[m.name] = asBytes(m);
    await context.global.set(BYTES_GLOBAL, new ivm.ExternalCopy(table).copyInto());
  }
  const root = await compile(main);
  if (modules.length === 1 && root.dependencySpecifiers.length === 0) onSingleModule?.(moduleText(byName.get(main)!), `file:///${main}`);
  await root.instantiate(context, (specifier, referrer) => {
    const refName = [...compiled].find(([, m]) => m === referrer)?.[0] ?? main;
    return compile(resolveSpecifier(specifier, refName, names));
  });
  try {
    await root.evaluate();
  } finally {
    if (binary.length > 0) await context.global.delete(BYTES_GLOBAL);
  }
  return root.namespace;
}

/** Runs a service-worker script (a classic script with global bindings). */
export async function loadScript(isolate: ivm.Isolate, context: ivm.Context, module: ModuleSource): Promise<void> {
  let script: ivm.Script;
  try {
    script = await isolate.compileScript(moduleText(module), { filename: `file:///${module.name}` });
  } catch (err) {
    throw new UserError(`${module.name}: ${(err as Error).message}`, 'syntax_error');
  }
  await script.run(context);
}
