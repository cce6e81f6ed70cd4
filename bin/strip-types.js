// Node strips TypeScript types only outside node_modules: an installed atoll (under
// node_modules/atoll) would not load its own .ts sources. Registered with --import when
// atoll runs from inside node_modules, this hook strips the types of atoll's own files
// (and only those), the same way Node does for files outside node_modules. Worker
// threads inherit the --import, so the store threads get it too.
import { readFileSync } from 'node:fs';
import { registerHooks, stripTypeScriptTypes } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url).href;
const ownNodeModules = `${root}node_modules/`;

registerHooks({
  load(url, context, nextLoad) {
    if (url.startsWith(root) && !url.startsWith(ownNodeModules) && url.endsWith('.ts')) {
      const source = stripTypeScriptTypes(readFileSync(fileURLToPath(url), 'utf8'), { mode: 'strip', sourceUrl: url });
      return { format: 'module', source, shortCircuit: true };
    }
    return nextLoad(url, context);
  },
});
