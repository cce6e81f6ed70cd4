// A synthetic ~100 KB worker bundle shaped like esbuild output: many small modules,
// each an IIFE with functions, a class and a table, run at the top level to register a
// route (so the top level does real work, as bundled apps do). `id` is baked in, so
// every worker is a never-seen script.

export function generateBundle(id: string, targetBytes = 100 * 1024): string {
  const parts: string[] = [
    `// worker ${id}`,
    `const BUILD_ID = ${JSON.stringify(id)};`,
    'const routes = new Map();',
  ];
  let size = parts.join('\n').length;
  for (let i = 0; size < targetBytes - 600; i++) {
    const words = Array.from({ length: 12 }, (_, k) => JSON.stringify(`w${i}_${k}_${((i * 7919 + k * 104729) % 99991).toString(36)}`));
    const mod = `
var mod${i} = (() => {
  const table = [${words.join(', ')}];
  const lookup = Object.fromEntries(table.map((w, n) => [w, n]));
  function parse${i}(input) {
    const out = [];
    for (const part of String(input).split('/')) if (part) out.push(part.toLowerCase());
    return out;
  }
  function format${i}(value, opts = {}) {
    const indent = opts.indent ?? 0;
    return JSON.stringify({ module: ${i}, value, words: table.length, known: value.path.filter((p) => p in lookup).length }, null, indent);
  }
  class Handler${i} {
    constructor(name) { this.name = name; this.count = 0; }
    handle(request) {
      this.count++;
      return format${i}({ path: parse${i}(new URL(request.url).pathname), n: this.count, name: this.name });
    }
  }
  return { parse${i}, format${i}, Handler${i} };
})();
routes.set('/r${i}', new mod${i}.Handler${i}('r${i}'));`;
    parts.push(mod);
    size += mod.length + 1;
  }
  parts.push(`
export default {
  fetch(request) {
    const url = new URL(request.url);
    const handler = routes.get(url.pathname.replace(/^\\/w\\/[^/]+/, '')) ?? routes.get('/r0');
    return new Response(handler.handle(request) + '\\n' + BUILD_ID, { headers: { 'content-type': 'application/json' } });
  },
};
`);
  return parts.join('\n');
}
