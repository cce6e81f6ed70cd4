// A worker's settings. Variables, KV bindings and limits belong to a version, so saving
// them uploads a new version with the same code (and deploys it); secrets (write-only),
// routes and zones, and cron triggers have their own endpoints and change at once.

import { ApiFailure, call, enc, get, json } from '../api.ts';
import { field, fill, h, type Child } from '../dom.ts';
import type { Ctx } from '../main.ts';
import type { Binding, Deployment, Namespace, Route, Source, Version, Zone } from '../types.ts';

const say = (el: HTMLElement, err: unknown) => {
  el.className = 'error';
  el.textContent = err instanceof ApiFailure ? `${err.code}: ${err.message}` : (err as Error).message;
};
const done = (el: HTMLElement, text: string) => {
  el.className = 'ok';
  el.textContent = text;
};

function section(title: string, ...children: Child[]): HTMLElement {
  const id = `s-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

export async function settingsView(ctx: Ctx, main: HTMLElement, [worker]: string[]): Promise<void> {
  const name = worker!;
  const write = ctx.can('workers:write');
  const [{ deployment }, { namespaces }] = await Promise.all([
    get<{ deployment: Deployment | null }>(`/api/v1/workers/${enc(name)}`),
    ctx.can('kv:read') ? get<{ namespaces: Namespace[] }>('/api/v1/kv/namespaces') : Promise.resolve({ namespaces: [] as Namespace[] }),
  ]);
  const top = deployment ? [...deployment.versions].sort((a, b) => b.percentage - a.percentage)[0]! : null;
  const version = top ? (await get<{ version: Version }>(`/api/v1/workers/${enc(name)}/versions/${enc(top.version_id)}`)).version : null;
  fill(main,
    version ? versionSettings(name, version, namespaces, write) : section('Variables, KV bindings and limits', h('p', { class: 'muted' }, 'Deploy the worker first.')),
    await secretsSection(name, write),
    await routesSection(name, write),
    await cronSection(name, write));
}

function versionSettings(name: string, version: Version, namespaces: Namespace[], write: boolean): HTMLElement {
  const vars = h('div', { class: 'rows' });
  const kvs = h('div', { class: 'rows' });
  const other = version.bindings.filter((b) => b.type !== 'plain_text' && b.type !== 'kv_namespace');
  let n = 0;
  const varRow = (b?: Binding) => {
    const i = ++n;
    const row = h('div', { class: 'row' },
      field(`Variable ${i} name`, h('input', { type: 'text', class: 'var-name', value: b?.name ?? '', spellcheck: 'false', disabled: !write })),
      field(`Variable ${i} value`, h('input', { type: 'text', class: 'var-value', value: b?.text ?? '', spellcheck: 'false', disabled: !write })),
      write ? h('button', { type: 'button', onclick: () => row.remove(), 'aria-label': `Remove variable ${i}` }, 'Remove') : null);
    vars.append(row);
  };
  const kvRow = (b?: Binding) => {
    const i = ++n;
    const row = h('div', { class: 'row' },
      field(`KV binding ${i} name`, h('input', { type: 'text', class: 'kv-name', value: b?.name ?? '', spellcheck: 'false', disabled: !write })),
      field(`KV binding ${i} namespace`, h('select', { class: 'kv-ns', disabled: !write },
        namespaces.map((ns) => h('option', { value: ns.id, selected: ns.id === b?.namespace_id }, ns.title)),
        b && !namespaces.some((ns) => ns.id === b.namespace_id) ? h('option', { value: b.namespace_id, selected: true }, b.namespace_id) : null)),
      write ? h('button', { type: 'button', onclick: () => row.remove(), 'aria-label': `Remove KV binding ${i}` }, 'Remove') : null);
    kvs.append(row);
  };
  version.bindings.filter((b) => b.type === 'plain_text').forEach(varRow);
  version.bindings.filter((b) => b.type === 'kv_namespace').forEach(kvRow);
  const cpu = h('input', { type: 'number', min: 1, max: 300000, value: version.limits.cpu_ms ?? '', placeholder: '50', disabled: !write });
  const mem = h('input', { type: 'number', min: 16, max: 1024, value: version.limits.memory_mb ?? '', placeholder: '128', disabled: !write });
  const message = h('input', { type: 'text', maxlength: 1000, placeholder: 'Settings changed', disabled: !write });
  const status = h('p', { role: 'status' });
  const form = h('form', { 'aria-label': 'Variables, KV bindings and limits' },
    h('h3', null, 'Variables'), vars,
    write ? h('button', { type: 'button', onclick: () => varRow() }, 'Add variable') : null,
    h('h3', null, 'KV bindings'), kvs,
    write ? h('button', { type: 'button', onclick: () => kvRow(), disabled: namespaces.length === 0 }, 'Add KV binding') : null,
    h('h3', null, 'Limits'),
    h('div', { class: 'row' }, field('CPU ms per request', cpu, '1 to 300000; empty: 50'), field('Memory MB', mem, '16 to 1024; empty: 128')),
    other.length ? h('p', { class: 'muted' }, `Kept as they are: ${other.map((b) => `${b.name} (${b.type})`).join(', ')}.`) : null,
    write ? [field('Message', message), h('button', { type: 'submit', class: 'primary' }, 'Save as a new version and deploy')] : null,
    status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const bindings: Binding[] = [...other];
    for (const row of vars.children) {
      const k = (row.querySelector('.var-name') as HTMLInputElement).value.trim();
      if (k) bindings.push({ type: 'plain_text', name: k, text: (row.querySelector('.var-value') as HTMLInputElement).value });
    }
    for (const row of kvs.children) {
      const k = (row.querySelector('.kv-name') as HTMLInputElement).value.trim();
      if (k) bindings.push({ type: 'kv_namespace', name: k, namespace_id: (row.querySelector('.kv-ns') as HTMLSelectElement).value });
    }
    const limits: Record<string, number> = {};
    if (cpu.value) limits.cpu_ms = Number(cpu.value);
    if (mem.value) limits.memory_mb = Number(mem.value);
    status.textContent = 'Saving…';
    try {
      const src = await get<Source>(`/api/v1/workers/${enc(name)}/versions/${enc(version.id)}/source`);
      const types = Object.fromEntries(src.modules.map((m) => [m.name, m.type]));
      const form = new FormData();
      form.append('metadata', new Blob([JSON.stringify({
        [version.format === 'service-worker' ? 'body_part' : 'main_module']: version.main_module, compatibility_date: version.compatibility_date, compatibility_flags: version.compatibility_flags,
        bindings, limits, message: message.value || 'settings changed in the dashboard', modules: types,
      })], { type: 'application/json' }));
      for (const m of src.modules) {
        const bytes = m.content !== undefined ? m.content : Uint8Array.from(atob(m.content_base64!), (c) => c.charCodeAt(0));
        form.append(m.name, new Blob([bytes]), m.name);
      }
      const res = await call('PUT', `/api/v1/workers/${enc(name)}`, form);
      const { version: v } = await res.json() as { version: Version };
      done(status, `Saved and deployed as ${v.id}.`);
    } catch (err) {
      say(status, err);
    }
  });
  return section('Variables, KV bindings and limits', form);
}

async function secretsSection(name: string, write: boolean): Promise<HTMLElement> {
  const list = h('ul', { class: 'plain' });
  const status = h('p', { role: 'status' });
  const draw = async () => {
    const { secrets } = await get<{ secrets: { name: string; updated_at: string }[] }>(`/api/v1/workers/${enc(name)}/secrets`);
    fill(list, secrets.length === 0 ? h('li', { class: 'muted' }, 'No secrets.') : secrets.map((s) => h('li', null,
      h('code', null, s.name), h('span', { class: 'muted' }, ' (value hidden) '),
      write ? h('button', { type: 'button', class: 'link', 'aria-label': `Delete secret ${s.name}`, onclick: async () => {
        try {
          await json('DELETE', `/api/v1/workers/${enc(name)}/secrets/${enc(s.name)}`);
          done(status, `Deleted ${s.name}.`);
          await draw();
        } catch (err) { say(status, err); }
      } }, 'Delete') : null)));
  };
  await draw();
  const secretName = h('input', { type: 'text', name: 'secret-name', spellcheck: 'false', placeholder: 'API_KEY', required: true });
  const secretValue = h('input', { type: 'password', name: 'secret-value', autocomplete: 'new-password', required: true });
  const form = h('form', { class: 'row', 'aria-label': 'Set a secret' },
    field('Secret name', secretName), field('Secret value', secretValue), h('button', { type: 'submit' }, 'Set secret'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await json('PUT', `/api/v1/workers/${enc(name)}/secrets/${enc(secretName.value.trim())}`, { value: secretValue.value });
      done(status, `Secret ${secretName.value.trim()} set; the running worker has it now.`);
      secretName.value = '';
      secretValue.value = '';
      await draw();
    } catch (err) { say(status, err); }
  });
  return section('Secrets', h('p', { class: 'muted' }, 'Write-only: a value can be replaced or deleted, never read back.'), list, write ? form : null, status);
}

async function routesSection(name: string, write: boolean): Promise<HTMLElement> {
  const routesList = h('ul', { class: 'plain' });
  const zonesList = h('ul', { class: 'plain' });
  const status = h('p', { role: 'status' });
  const del = (label: string, path: string) => h('button', { type: 'button', class: 'link', 'aria-label': `Delete ${label}`, onclick: async () => {
    try {
      await json('DELETE', path);
      done(status, `Deleted ${label}.`);
      await draw();
    } catch (err) { say(status, err); }
  } }, 'Delete');
  const draw = async () => {
    const [{ routes }, { zones }] = await Promise.all([get<{ routes: Route[] }>('/api/v1/routes'), get<{ zones: Zone[] }>('/api/v1/zones')]);
    const mine = routes.filter((r) => r.worker === name);
    fill(routesList, mine.length === 0 ? h('li', { class: 'muted' }, 'No routes: the worker serves no traffic.') : mine.map((r) => h('li', null, h('code', null, r.pattern), ' ', write ? del(`route ${r.pattern}`, `/api/v1/routes/${enc(r.id)}`) : null)));
    fill(zonesList, zones.length === 0 ? h('li', { class: 'muted' }, 'No zones.') : zones.map((z) => h('li', null, h('code', null, z.hostname), ` → ${z.origin} `, write ? del(`zone ${z.hostname}`, `/api/v1/zones/${enc(z.id)}`) : null)));
  };
  await draw();
  const pattern = h('input', { type: 'text', name: 'route-pattern', spellcheck: 'false', placeholder: 'example.com/api/*', required: true });
  const routeForm = h('form', { class: 'row', 'aria-label': 'Add a route' }, field('Route pattern', pattern), h('button', { type: 'submit' }, 'Add route'));
  routeForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await json('POST', '/api/v1/routes', { pattern: pattern.value.trim(), worker: name });
      done(status, `Route ${pattern.value.trim()} added.`);
      pattern.value = '';
      await draw();
    } catch (err) { say(status, err); }
  });
  const hostname = h('input', { type: 'text', name: 'zone-hostname', spellcheck: 'false', placeholder: 'example.com', required: true });
  const origin = h('input', { type: 'url', name: 'zone-origin', spellcheck: 'false', placeholder: 'https://origin.example.net', required: true });
  const zoneForm = h('form', { class: 'row', 'aria-label': 'Add a zone' }, field('Zone hostname', hostname), field('Origin URL', origin), h('button', { type: 'submit' }, 'Add zone'));
  zoneForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await json('POST', '/api/v1/zones', { hostname: hostname.value.trim(), origin: origin.value.trim() });
      done(status, `Zone ${hostname.value.trim()} added.`);
      hostname.value = '';
      origin.value = '';
      await draw();
    } catch (err) { say(status, err); }
  });
  return section('Routes and zones', h('h3', null, 'Routes to this worker'), routesList, write ? routeForm : null,
    h('h3', null, 'Zones of the account'), zonesList, write ? zoneForm : null, status);
}

async function cronSection(name: string, write: boolean): Promise<HTMLElement> {
  const { crons, schedules } = await get<{ crons: string[]; schedules: { cron: string; next_run: string }[] }>(`/api/v1/workers/${enc(name)}/schedules`);
  const text = h('textarea', { rows: 3, spellcheck: 'false', placeholder: '*/5 * * * *', disabled: !write }, crons.join('\n'));
  const next = h('ul', { class: 'plain' }, schedules.map((s) => h('li', null, h('code', null, s.cron), ` next run ${new Date(s.next_run).toLocaleString()}`)));
  const status = h('p', { role: 'status' });
  const form = h('form', { 'aria-label': 'Cron triggers' }, field('Cron expressions', text, 'One a line, five fields, UTC. Empty removes every trigger.'),
    write ? h('button', { type: 'submit' }, 'Save triggers') : null, next, status);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const lines = text.value.split('\n').map((l) => l.trim()).filter(Boolean);
      const r = await json<{ schedules: { cron: string; next_run: string }[] }>('PUT', `/api/v1/workers/${enc(name)}/schedules`, { crons: lines });
      fill(next, r.schedules.map((s) => h('li', null, h('code', null, s.cron), ` next run ${new Date(s.next_run).toLocaleString()}`)));
      done(status, `Saved ${lines.length} trigger${lines.length === 1 ? '' : 's'}.`);
    } catch (err) { say(status, err); }
  });
  return section('Cron triggers', form);
}
