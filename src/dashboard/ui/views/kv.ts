// The KV browser: namespaces, then one namespace's keys (searched by prefix, a page of
// 50 at a time), and one key's value and metadata to view, edit, or delete.

import { ApiFailure, call, enc, get, json } from '../api.ts';
import { field, fill, h } from '../dom.ts';
import type { Ctx } from '../main.ts';
import type { Namespace } from '../types.ts';

const PAGE = 50;

interface KeyInfo {
  name: string;
  expiration?: number;
  metadata?: unknown;
}

const problem = (err: unknown) => (err instanceof ApiFailure ? `${err.code}: ${err.message}` : (err as Error).message);

export async function kvView(ctx: Ctx, main: HTMLElement, [id]: string[]): Promise<void> {
  if (!ctx.can('kv:read')) {
    fill(main, h('h1', null, 'KV'), h('p', { class: 'muted' }, 'The KV browser needs a token with kv:read.'));
    return;
  }
  const { namespaces } = await get<{ namespaces: Namespace[] }>('/api/v1/kv/namespaces');
  if (!id) return namespacesPage(ctx, main, namespaces);
  const ns = namespaces.find((n) => n.id === id);
  if (!ns) {
    fill(main, h('h1', null, 'KV'), h('p', { class: 'error' }, `No namespace ${id} in this account.`), h('a', { href: '#/kv' }, 'All namespaces'));
    return;
  }
  return namespacePage(ctx, main, ns);
}

function namespacesPage(ctx: Ctx, main: HTMLElement, namespaces: Namespace[]): void {
  const title = h('input', { type: 'text', name: 'title', required: true, placeholder: 'sessions' });
  const status = h('p', { role: 'status' });
  const form = h('form', { class: 'row', 'aria-label': 'Create a namespace' }, field('New namespace title', title), h('button', { type: 'submit' }, 'Create namespace'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const { namespace } = await json<{ namespace: Namespace }>('POST', '/api/v1/kv/namespaces', { title: title.value.trim() });
      location.hash = `#/kv/${enc(namespace.id)}`;
    } catch (err) {
      status.textContent = problem(err);
    }
  });
  fill(main, h('h1', null, 'KV namespaces'),
    namespaces.length === 0 ? h('p', { class: 'muted' }, 'No namespaces yet.')
      : h('ul', { class: 'plain cards' }, namespaces.map((n) => h('li', null, h('a', { href: `#/kv/${enc(n.id)}` }, n.title), ' ', h('code', { class: 'muted' }, n.id)))),
    ctx.can('kv:write') ? form : null, status);
}

function namespacePage(ctx: Ctx, main: HTMLElement, ns: Namespace): void {
  const write = ctx.can('kv:write');
  const base = `/api/v1/kv/namespaces/${enc(ns.id)}`;
  const prefix = h('input', { type: 'search', name: 'prefix', placeholder: 'user/', spellcheck: 'false' });
  const keys = h('ul', { class: 'keys', 'aria-label': 'Keys' });
  const more = h('button', { type: 'button', hidden: true }, 'More keys');
  const detail = h('section', { class: 'card kv-detail', 'aria-label': 'Key details', 'aria-live': 'polite' }, h('p', { class: 'muted' }, 'Pick a key, or make a new one.'));
  let cursor: string | null = null;

  async function list(reset: boolean): Promise<void> {
    if (reset) {
      cursor = null;
      keys.replaceChildren();
    }
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (prefix.value) q.set('prefix', prefix.value);
    if (cursor) q.set('cursor', cursor);
    try {
      const r = await get<{ keys: KeyInfo[]; list_complete: boolean; cursor?: string }>(`${base}/keys?${q}`);
      for (const k of r.keys) keys.append(h('li', null, h('button', { type: 'button', class: 'link', onclick: () => void open(k) }, k.name)));
      if (keys.children.length === 0) keys.append(h('li', { class: 'muted' }, prefix.value ? `No key starts with "${prefix.value}".` : 'No keys.'));
      cursor = r.list_complete ? null : r.cursor ?? null;
      more.hidden = cursor === null;
    } catch (err) {
      keys.append(h('li', { class: 'error' }, problem(err)));
    }
  }

  async function open(k: KeyInfo | null): Promise<void> {
    const name = h('input', { type: 'text', name: 'key', required: true, value: k?.name ?? '', readonly: k !== null, spellcheck: 'false' });
    const value = h('textarea', { name: 'value', rows: 8, spellcheck: 'false', readonly: !write });
    const metadata = h('textarea', { name: 'metadata', rows: 2, spellcheck: 'false', placeholder: '{"v":1}', readonly: !write });
    const status = h('p', { role: 'status' });
    let expiration = '';
    if (k) {
      const res = await call('GET', `${base}/values/${enc(k.name)}`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
      value.value = text;
      if (text.includes('\uFFFD')) status.textContent = `The value is ${bytes.byteLength} bytes of binary data; saving here would replace it with text.`;
      metadata.value = res.headers.get('atoll-kv-metadata') ?? '';
      const exp = res.headers.get('atoll-kv-expiration');
      if (exp) expiration = new Date(Number(exp) * 1000).toLocaleString();
    }
    const form = h('form', { 'aria-label': k ? `Key ${k.name}` : 'New key' },
      h('h2', null, k ? k.name : 'New key'),
      k ? null : field('Key', name),
      field('Value', value), field('Metadata (JSON)', metadata, 'Empty for none; at most 1024 bytes.'),
      expiration ? h('p', { class: 'muted' }, `Expires ${expiration}. Saving keeps no expiration.`) : null,
      write ? h('div', { class: 'row' },
        h('button', { type: 'submit', class: 'primary' }, 'Save value'),
        k ? h('button', { type: 'button', class: 'danger', onclick: async () => {
          if (!confirm(`Delete key ${k.name}?`)) return;
          try {
            await json('DELETE', `${base}/values/${enc(k.name)}`);
            fill(detail, h('p', { class: 'ok' }, `Deleted ${k.name}.`));
            await list(true);
          } catch (err) { status.textContent = problem(err); }
        } }, 'Delete key') : null) : null,
      status);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const key = name.value;
      const q = new URLSearchParams();
      if (metadata.value.trim()) {
        try {
          JSON.parse(metadata.value);
        } catch {
          status.textContent = 'The metadata is not valid JSON.';
          metadata.focus();
          return;
        }
        q.set('metadata', metadata.value.trim());
      }
      try {
        await call('PUT', `${base}/values/${enc(key)}${q.size ? `?${q}` : ''}`, new Blob([value.value], { type: 'text/plain' }));
        status.className = 'ok';
        status.textContent = `Saved ${key}.`;
        if (!k) await list(true);
      } catch (err) {
        status.className = 'error';
        status.textContent = problem(err);
      }
    });
    fill(detail, form);
    (k ? value : name).focus();
  }

  const search = h('form', { class: 'row', role: 'search', 'aria-label': 'Search keys' }, field('Key prefix', prefix), h('button', { type: 'submit' }, 'Search'));
  search.addEventListener('submit', (e) => { e.preventDefault(); void list(true); });
  more.addEventListener('click', () => void list(false));
  fill(main,
    h('p', null, h('a', { href: '#/kv' }, 'KV namespaces'), ' / '),
    h('h1', null, ns.title, ' ', h('code', { class: 'muted' }, ns.id)),
    h('div', { class: 'kv-layout' },
      h('section', { 'aria-label': 'Keys of the namespace' }, search, write ? h('button', { type: 'button', onclick: () => void open(null) }, 'New key') : null, keys, more),
      detail));
  void list(true);
}
