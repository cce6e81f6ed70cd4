// Module rules, as wrangler has them: which imported files become text, binary data or
// compiled WebAssembly modules instead of being bundled as JavaScript. Globs match the
// import path as written (`./lib/add.wasm`), like wrangler's.

import type { ModuleRule, ModuleRuleType } from '../config/types.ts';
import type { ModuleType } from '../runtime/modules.ts';

export const DEFAULT_RULES: ModuleRule[] = [
  { type: 'Text', globs: ['**/*.txt', '**/*.html', '**/*.sql'], fallthrough: false },
  { type: 'Data', globs: ['**/*.bin'], fallthrough: false },
  { type: 'CompiledWasm', globs: ['**/*.wasm', '**/*.wasm?module'], fallthrough: false },
];

export const MODULE_TYPE: Record<ModuleRuleType, ModuleType> = {
  Text: 'text',
  Data: 'data',
  CompiledWasm: 'wasm',
};

export interface CompiledRule {
  type: ModuleRuleType;
  patterns: RegExp[];
}

/** A glob as a RegExp: `**` spans folders, `*` and `?` stay within one. */
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i];
    if (ch === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/**
 * The user's rules first, then the defaults. As in wrangler, a user rule of a type
 * drops the default rule of that type unless it says `fallthrough = true`.
 */
export function compileRules(user: ModuleRule[]): CompiledRule[] {
  const dropped = new Set(user.filter((r) => !r.fallthrough).map((r) => r.type));
  const all = [...user, ...DEFAULT_RULES.filter((r) => !dropped.has(r.type))];
  return all.map((r) => ({ type: r.type, patterns: r.globs.map(globToRegExp) }));
}

/** The rule type for an import path, or null when it is bundled as JavaScript. */
export function matchRule(rules: CompiledRule[], importPath: string): ModuleRuleType | null {
  const path = importPath.replace(/^(?:\.\.?\/)+/, '');
  for (const r of rules) {
    if (r.patterns.some((p) => p.test(path) || p.test(importPath))) return r.type;
  }
  return null;
}
