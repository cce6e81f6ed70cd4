// A worker's code: its modules in the editor (one tab each), syntax errors listed as
// they appear, the preview pane for the unsaved draft, and Deploy with a message,
// followed by the rollout per location. A new worker (#/workers/new) starts from a
// small example.

import type { EditorState } from '@codemirror/state';
import type { EditorView } from '@codemirror/view';
import { ApiFailure, call, enc, get, json } from '../api.ts';
import { describe, createEditor, isScript, moduleState, syntaxErrors } from '../editor.ts';
import { field, fill, h } from '../dom.ts';
import { workerLocations } from '../locations.ts';
import type { Ctx } from '../main.ts';
import { previewPane } from '../preview-pane.ts';
import type { Deployment, Module, Source, Version } from '../types.ts';

const EXAMPLE = `export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    console.log('hello from', url.pathname);
    return new Response(\`Hello from atoll at \${url.pathname}\\n\`);
  },
};
`;

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const MODULE_NAME = /^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

/** A first deploy from #/workers/new, whose rollout the worker's own page shows. */
let justDeployed: { name: string; version: Version; deployment: Deployment } | null = null;

interface Mod {
  name: string;
  state: EditorState;
  /** The type the stored version gave it; new modules are typed by extension. */
  type?: string;
}

export async function codeView(ctx: Ctx, main: HTMLElement, [workerName]: string[]): Promise<void | (() => void)> {
  const canWrite = ctx.can('workers:write');
  const isNew = !workerName;
  let base: Version | null = null;
  let mods: Mod[] = [];
  // Data and wasm modules are not edited here; they go along with every upload.
  let binary: Module[] = [];
  let mainModule = 'index.js';
  if (!isNew) {
    const { deployment } = await get<{ deployment: Deployment | null }>(`/api/v1/workers/${enc(workerName!)}`);
    // The version deployed (the larger share of a split), or the newest when none is.
    const top = deployment ? [...deployment.versions].sort((a, b) => b.percentage - a.percentage)[0]!.version_id
      : (await get<{ versions: Version[] }>(`/api/v1/workers/${enc(workerName!)}/versions`)).versions[0]?.id;
    if (top) {
      base = (await get<{ version: Version }>(`/api/v1/workers/${enc(workerName!)}/versions/${enc(top)}`)).version;
      const src = await get<Source>(`/api/v1/workers/${enc(workerName!)}/versions/${enc(top)}/source`);
      mainModule = src.main_module;
      mods = src.modules.filter((m) => m.content !== undefined).map((m) => ({ name: m.name, type: m.type, state: moduleState(m.name, m.content!, changed, !canWrite) }));
      binary = src.modules.filter((m) => m.content_base64 !== undefined);
    }
  }
  if (mods.length === 0) mods = [{ name: mainModule, state: moduleState(mainModule, EXAMPLE, changed, !canWrite) }];
  let active = mods.find((m) => m.name === mainModule) ?? mods[0]!;
  let view: EditorView | null = null;
  /** Set when the user leaves the page: a rollout poll stops. */
  let left = false;

  const nameInput = h('input', { type: 'text', name: 'worker-name', required: true, spellcheck: 'false', pattern: NAME.source, placeholder: 'my-worker' });
  const tabs = h('div', { class: 'module-tabs', role: 'tablist', 'aria-label': 'Modules' });
  const editorHost = h('div', { class: 'editor', role: 'tabpanel' });
  const problems = h('div', { class: 'problems', 'aria-live': 'polite' });
  const mainSelect = h('select', { name: 'main-module' });
  const newModule = h('input', { type: 'text', name: 'new-module', placeholder: 'lib/util.js', spellcheck: 'false' });
  const message = h('input', { type: 'text', name: 'message', maxlength: 1000, placeholder: 'What changed' });
  const deployButton = h('button', { type: 'submit', class: 'primary' }, 'Deploy');
  const deployOut = h('div', { class: 'rollout', 'aria-live': 'polite' });

  const worker = () => (isNew ? nameInput.value.trim() : workerName!);

  function syncText(): void {
    if (view) active.state = view.state;
  }

  function changed(): void {
    // Problems are re-listed after the editor's own lint delay.
    window.clearTimeout(changedTimer);
    changedTimer = window.setTimeout(renderProblems, 350);
  }
  let changedTimer = 0;

  function errors(): string[] {
    syncText();
    const out: string[] = [];
    for (const m of mods) {
      if (!isScript(m.name)) continue;
      for (const d of syntaxErrors(m.state)) {
        const p = describe(m.state, d);
        out.push(`${m.name}:${p.line}:${p.column}: ${p.message}`);
      }
    }
    return out;
  }

  function renderProblems(): void {
    const list = errors();
    fill(problems, list.length === 0
      ? h('p', { class: 'ok' }, 'No syntax errors.')
      : h('div', { role: 'alert' }, h('p', { class: 'bad' }, `${list.length} syntax error${list.length === 1 ? '' : 's'}: fix before deploying`),
        h('ul', null, list.map((e) => h('li', null, h('code', null, e))))));
  }

  function renderTabs(): void {
    fill(tabs, mods.map((m) => h('button', {
      type: 'button', role: 'tab', 'aria-selected': String(m === active), tabindex: m === active ? '0' : '-1',
      onclick: () => select(m),
      onkeydown: (e: KeyboardEvent) => {
        const i = mods.indexOf(m);
        if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
          e.preventDefault();
          const next = mods[(i + (e.key === 'ArrowRight' ? 1 : mods.length - 1)) % mods.length]!;
          select(next);
          (tabs.children[mods.indexOf(next)] as HTMLElement).focus();
        }
      },
    }, m.name, m.name === mainModule ? ' (main)' : '')));
    fill(mainSelect, mods.filter((m) => isScript(m.name)).map((m) => h('option', { value: m.name, selected: m.name === mainModule }, m.name)));
  }

  function select(m: Mod): void {
    syncText();
    active = m;
    view?.setState(m.state);
    renderTabs();
  }

  function addModule(): void {
    const name = newModule.value.trim();
    if (!MODULE_NAME.test(name) || name.split('/').some((s) => s === '.' || s === '..')) {
      fill(problems, h('p', { class: 'error', role: 'alert' }, `"${name}" is not a module name; use a relative path such as lib/util.js`));
      return;
    }
    if (mods.some((m) => m.name === name)) {
      fill(problems, h('p', { class: 'error', role: 'alert' }, `there is already a module ${name}`));
      return;
    }
    const m = { name, state: moduleState(name, '', changed, !canWrite) };
    mods.push(m);
    newModule.value = '';
    select(m);
    view?.focus();
  }

  function removeActive(): void {
    if (active.name === mainModule || mods.length === 1) {
      fill(problems, h('p', { class: 'error', role: 'alert' }, 'the main module cannot be removed; make another module the main one first'));
      return;
    }
    mods = mods.filter((m) => m !== active);
    select(mods[0]!);
  }

  /** The draft as the preview endpoint takes it. */
  function draftBody(): Record<string, unknown> {
    syncText();
    return {
      [entryField(base)]: mainModule,
      modules: mods.map((m) => ({ name: m.name, content: m.state.doc.toString() })),
      ...(base ? { compatibility_date: base.compatibility_date, compatibility_flags: base.compatibility_flags, bindings: base.bindings, limits: base.limits } : {}),
    };
  }

  async function deploy(): Promise<void> {
    const name = worker();
    if (!NAME.test(name)) {
      fill(deployOut, h('p', { class: 'error', role: 'alert' }, 'Give the worker a name: 1 to 63 lower-case letters, digits, - or _.'));
      nameInput.focus();
      return;
    }
    const list = errors();
    if (list.length > 0) {
      fill(deployOut, h('p', { class: 'error', role: 'alert' }, `Not deployed: ${list.length} syntax error${list.length === 1 ? '' : 's'} (listed above).`));
      return;
    }
    deployButton.disabled = true;
    fill(deployOut, h('p', { class: 'muted' }, 'Uploading…'));
    try {
      const form = await uploadForm(name, mods, binary, mainModule, base, message.value);
      const res = await call('PUT', `/api/v1/workers/${enc(name)}`, form);
      const { version, deployment } = await res.json() as { version: Version; deployment: Deployment };
      message.value = '';
      base = version;
      if (isNew) {
        // The worker's own page takes over and shows the rollout there.
        justDeployed = { name, version, deployment };
        location.hash = `#/workers/${enc(name)}/code`;
        return;
      }
      await showRollout(name, version, deployment);
    } catch (err) {
      fill(deployOut, h('p', { class: 'error', role: 'alert' }, err instanceof ApiFailure ? `${err.code}: ${err.message}` : (err as Error).message));
    } finally {
      deployButton.disabled = false;
    }
  }

  async function showRollout(name: string, version: Version, deployment: Deployment): Promise<void> {
    const list = h('ul', { class: 'locations' });
    fill(deployOut, h('p', null, 'Deployed ', h('code', null, version.id), version.message ? ` — ${version.message}` : ''), list);
    const started = Date.now();
    while (!left) {
      const states = await workerLocations(name, deployment);
      fill(list, states.map((s) => h('li', null,
        h('span', { class: s.version_id === version.id ? 'ok' : 'warn' }, s.version_id === version.id ? '● serving' : '○ updating'),
        ` ${s.location}: `, h('code', null, s.version_id ?? 'nothing'), s.detail ? h('small', { class: 'muted' }, ` ${s.detail}`) : null)));
      if (states.every((s) => s.version_id === version.id) || Date.now() - started > 30_000) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  const form = h('form', { class: 'deploy', 'aria-label': 'Deploy' },
    h('h2', null, 'Deploy'),
    field('Message', message, 'Kept with the version, shown in the history.'),
    deployButton, deployOut);
  form.addEventListener('submit', (e) => { e.preventDefault(); void deploy(); });
  mainSelect.addEventListener('change', () => { mainModule = mainSelect.value; renderTabs(); });

  fill(main,
    isNew ? h('h1', null, 'New worker') : null,
    isNew ? field('Worker name', nameInput, '1 to 63 lower-case letters, digits, - or _.') : null,
    h('div', { class: 'code-layout' },
      h('section', { class: 'code-pane', 'aria-label': 'Code' },
        tabs,
        editorHost,
        h('p', { class: 'hint' }, 'Tab indents; press Esc then Tab to leave the editor.'),
        canWrite ? h('div', { class: 'row module-tools' },
          field('New module', newModule),
          h('button', { type: 'button', onclick: addModule }, 'Add module'),
          h('button', { type: 'button', onclick: removeActive }, 'Remove this module'),
          field('Main module', mainSelect)) : null,
        problems),
      h('section', { class: 'side-pane', 'aria-label': 'Preview and deploy' },
        previewPane(() => (NAME.test(worker()) ? { worker: worker(), body: draftBody() } : 'Give the worker a name first: 1 to 63 lower-case letters, digits, - or _.'), canWrite),
        canWrite ? form : h('p', { class: 'muted' }, 'This token is read-only (no workers:write): it can read code but not deploy it.'))));
  view = createEditor(editorHost, active.state);
  renderTabs();
  renderProblems();
  if (justDeployed && justDeployed.name === workerName) {
    const { version, deployment } = justDeployed;
    justDeployed = null;
    void showRollout(workerName, version, deployment);
  }
  return () => {
    left = true;
    view?.destroy();
  };
}

/** The multipart upload of PUT /api/v1/workers/:name; TypeScript modules compiled first. */
async function uploadForm(name: string, mods: Mod[], binary: Module[], mainModule: string, base: Version | null, message: string): Promise<FormData> {
  const text = new Map(mods.map((m) => [m.name, m.state.doc.toString()]));
  const ts = mods.filter((m) => /\.(ts|mts)$/.test(m.name));
  const types: Record<string, string> = {};
  if (ts.length > 0) {
    const { modules } = await json<{ modules: { name: string; content: string }[] }>('POST', '/api/v1/compile', { modules: ts.map((m) => ({ name: m.name, content: text.get(m.name) })) });
    for (const m of modules) {
      text.set(m.name, m.content);
      types[m.name] = 'esm';
    }
  }
  // Every module's type is given, as a browser sends a Blob part as application/octet-stream (data).
  for (const m of mods) types[m.name] ??= m.type ?? moduleType(m.name);
  for (const m of binary) types[m.name] = m.type;
  const today = new Date().toISOString().slice(0, 10);
  const metadata = {
    [entryField(base)]: mainModule,
    compatibility_date: base?.compatibility_date ?? today,
    ...(base ? { compatibility_flags: base.compatibility_flags, bindings: base.bindings, limits: base.limits } : {}),
    message: message || `edited in the dashboard (${name})`,
    modules: types,
  };
  const form = new FormData();
  form.append('metadata', new Blob([JSON.stringify(metadata)], { type: 'application/json' }));
  for (const [n, content] of text) form.append(n, new Blob([content]), n);
  for (const m of binary) form.append(m.name, new Blob([Uint8Array.from(atob(m.content_base64!), (c) => c.charCodeAt(0))]), m.name);
  return form;
}

function moduleType(name: string): string {
  if (/\.(m?js|ts|mts)$/.test(name)) return 'esm';
  if (/\.cjs$/.test(name)) return 'commonjs';
  if (/\.json$/.test(name)) return 'json';
  return 'text';
}

/** Where the metadata names the entry: a service-worker script is `body_part`. */
function entryField(base: Version | null): 'main_module' | 'body_part' {
  return base?.format === 'service-worker' ? 'body_part' : 'main_module';
}
