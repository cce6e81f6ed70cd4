// Checks an upload before anything is stored: every module parses (compiled, never run,
// in a throwaway isolate, so tenant code cannot do anything here), imports resolve, and
// bindings name things that exist in the same account. A refusal names file:line:col or
// the binding, and the fix.

import ivm from '../runtime/ivm.ts';
import { resolveSpecifier } from '../runtime/modules.ts';
import type { ControlStore, StoredModule, VersionBinding } from '../store/control.ts';
import { badRequest } from './errors.ts';
import type { UploadMetadata } from './metadata.ts';

const decoder = new TextDecoder();
// The project's lib settings leave out WebAssembly's types; validate() only reads bytes.
const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;

// isolated-vm appends the position as ` [file:///name:line:col]`.
const POSITION = / \[file:\/\/\/(.*):(\d+):(\d+)\]$/;

/** `name:line:col: message`, with the line moved back by the lines a wrapper added. */
function syntaxError(module: string, err: unknown, wrapperLines: number): Error {
  const message = err instanceof Error ? err.message : String(err);
  const m = POSITION.exec(message);
  const where = m ? `${module}:${Number(m[2]) - wrapperLines}:${m[3]}` : module;
  const what = m ? message.slice(0, m.index) : message;
  const kind = err instanceof Error ? err.name : 'Error';
  // Compiling can fail for other reasons than syntax (a module too large for the check's heap).
  return badRequest(kind === 'SyntaxError' ? 'syntax_error' : 'invalid_module', `${where}: ${kind}: ${what}; fix the code and upload again`);
}

async function compileAll(meta: UploadMetadata, modules: StoredModule[]): Promise<void> {
  const isolate = new ivm.Isolate({ memoryLimit: 64 });
  const names = new Set(modules.map((m) => m.name));
  try {
    for (const m of modules) {
      const filename = `file:///${m.name}`;
      if (meta.format === 'service-worker') {
        await isolate.compileScript(decoder.decode(m.content), { filename }).catch((err) => { throw syntaxError(m.name, err, 0); });
      } else if (m.type === 'esm') {
        const mod = await isolate.compileModule(decoder.decode(m.content), { filename }).catch((err) => { throw syntaxError(m.name, err, 0); });
        for (const specifier of mod.dependencySpecifiers) {
          try {
            resolveSpecifier(specifier, m.name, names);
          } catch {
            throw badRequest('unresolved_import', `module "${m.name}" imports "${specifier}", which is not among the uploaded modules; bundle it (atoll deploy does) or upload it`);
          }
        }
      } else if (m.type === 'commonjs') {
        // The runtime wraps CommonJS in a function; compile it the same way (one line added).
        await isolate.compileScript(`(function (module, exports) {\n${decoder.decode(m.content)}\n})`, { filename })
          .catch((err) => { throw syntaxError(m.name, err, 1); });
      } else if (m.type === 'json') {
        try {
          JSON.parse(decoder.decode(m.content));
        } catch (err) {
          throw badRequest('invalid_module', `module "${m.name}" is not valid JSON (${(err as Error).message}); fix it or upload it as "text"`);
        }
      } else if (m.type === 'wasm' && !wasm.validate(m.content)) {
        throw badRequest('invalid_module', `module "${m.name}" is not a valid WebAssembly module; upload the .wasm file as built`);
      }
    }
  } finally {
    isolate.dispose();
  }
}

/**
 * Refuses bindings that name a KV namespace the account lacks, an unset secret or a
 * missing service. Run on upload, and again when a deployment or rollback points at an
 * older version, whose namespace may have been deleted since.
 */
export async function checkBindings(store: ControlStore, accountId: string, worker: string, bindings: readonly VersionBinding[]): Promise<void> {
  let secretNames: Set<string> | null = null;
  for (const b of bindings) {
    if (b.type === 'kv_namespace' && !(await store.getKvNamespace(accountId, b.namespace_id))) {
      throw badRequest('missing_binding', `binding "${b.name}" names KV namespace "${b.namespace_id}", which this account does not have; create it with POST /api/v1/kv/namespaces or fix the id`);
    }
    if (b.type === 'secret_text') {
      secretNames ??= new Set((await store.getSecrets(accountId, worker)).map((s) => s.name));
      if (!secretNames.has(b.name)) {
        throw badRequest('missing_binding', `binding "${b.name}" is a secret that worker "${worker}" does not have; set it with PUT /api/v1/workers/${worker}/secrets/${b.name}`);
      }
    }
    if (b.type === 'service' && b.service !== worker && !(await store.getWorker(accountId, b.service))) {
      throw badRequest('missing_binding', `binding "${b.name}" names service "${b.service}", which this account does not have; deploy that worker first or fix the name`);
    }
  }
}

/** Refuses the upload with a 400 when it would not load or its bindings dangle. */
export async function checkDeployable(store: ControlStore, accountId: string, worker: string, meta: UploadMetadata, modules: StoredModule[]): Promise<void> {
  if (meta.format === 'service-worker' && modules.length !== 1) {
    throw badRequest('invalid_metadata', 'a service-worker upload (body_part) has exactly one module; use main_module for ES modules');
  }
  await compileAll(meta, modules);
  await checkBindings(store, accountId, worker, meta.bindings);
}
