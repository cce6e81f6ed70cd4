// An esbuild plugin that applies module rules to imports. In an ES-module bundle each
// matched file becomes a module of its own next to the main module (the runtime loads
// it as text, an ArrayBuffer or a WebAssembly.Module), as wrangler uploads them. A
// service-worker script is a single classic script, so there the file is inlined.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Plugin } from 'esbuild';
import type { ModuleRuleType } from '../config/types.ts';
import type { ModuleSource } from '../runtime/modules.ts';
import { matchRule, MODULE_TYPE, type CompiledRule } from './rules.ts';

const INLINE = 'atoll-inline';
const SKIP = Symbol('atoll-module-rules-skip');

export interface ModuleRulesState {
  /** Modules collected by the last build (ES-module bundles only), by name. */
  modules: Map<string, ModuleSource>;
  /** Absolute paths of every file a rule matched, for the watcher. */
  files: Set<string>;
}

function inlineSource(type: ModuleRuleType, bytes: Buffer): string {
  if (type === 'Text') return `export default ${JSON.stringify(bytes.toString('utf8'))};`;
  const decode = `const b = Uint8Array.from(atob(${JSON.stringify(bytes.toString('base64'))}), (c) => c.charCodeAt(0));`;
  return type === 'Data' ? `${decode}\nexport default b.buffer;` : `${decode}\nexport default new WebAssembly.Module(b);`;
}

export function moduleRulesPlugin(rules: CompiledRule[], mode: 'external' | 'inline', state: ModuleRulesState): Plugin {
  return {
    name: 'atoll-module-rules',
    setup(build) {
      build.onStart(() => {
        state.modules.clear();
        state.files.clear();
      });
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === SKIP || args.kind === 'entry-point') return undefined;
        const type = matchRule(rules, args.path);
        if (type === null) return undefined;
        const resolved = await build.resolve(args.path.replace(/\?module$/, ''), {
          kind: args.kind,
          resolveDir: args.resolveDir,
          importer: args.importer,
          pluginData: SKIP,
        });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        state.files.add(resolved.path);
        if (mode === 'inline') return { path: resolved.path, namespace: INLINE, pluginData: type };
        const bytes = await readFile(resolved.path);
        // Content-addressed names keep two files called `data.bin` apart.
        const name = `${createHash('sha1').update(bytes).digest('hex').slice(0, 12)}-${basename(resolved.path)}`;
        const content = type === 'Text' ? bytes.toString('utf8') : new Uint8Array(bytes);
        state.modules.set(name, { name, type: MODULE_TYPE[type], content });
        return { path: `./${name}`, external: true };
      });
      build.onLoad({ filter: /.*/, namespace: INLINE }, async (args) => ({
        contents: inlineSource(args.pluginData as ModuleRuleType, await readFile(args.path)),
        loader: 'js',
      }));
    },
  };
}
