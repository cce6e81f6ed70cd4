// A worker's version history: every version with its message, which one is live, a
// diff between any two, and one-click rollback to any of them.

import { diffLines } from 'diff';
import { ApiFailure, enc, get, json } from '../api.ts';
import { field, fill, fmtTime, h } from '../dom.ts';
import type { Ctx } from '../main.ts';
import type { Deployment, Source, Version } from '../types.ts';

const short = (id: string) => id.slice(0, 12);

async function sourceText(worker: string, id: string): Promise<Map<string, string>> {
  const src = await get<Source>(`/api/v1/workers/${enc(worker)}/versions/${enc(id)}/source`);
  return new Map(src.modules.map((m) => [m.name, m.content ?? `[binary ${m.type} module]`]));
}

/** A line diff of two versions, module by module. */
async function renderDiff(worker: string, from: string, to: string): Promise<HTMLElement> {
  const [a, b] = await Promise.all([sourceText(worker, from), sourceText(worker, to)]);
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  const parts: HTMLElement[] = [];
  for (const name of names) {
    const before = a.get(name) ?? '';
    const after = b.get(name) ?? '';
    if (before === after) continue;
    const lines: HTMLElement[] = [];
    for (const change of diffLines(before, after)) {
      const cls = change.added ? 'add' : change.removed ? 'del' : 'same';
      const mark = change.added ? '+' : change.removed ? '-' : ' ';
      const text = change.value.replace(/\n$/, '').split('\n');
      // Long unchanged stretches are folded to their edges.
      const shown = cls === 'same' && text.length > 6 ? [...text.slice(0, 3), '…', ...text.slice(-3)] : text;
      for (const line of shown) lines.push(h('div', { class: `d-${cls}` }, h('span', { class: 'mark', 'aria-hidden': 'true' }, mark), line));
    }
    parts.push(h('section', { class: 'diff-file' }, h('h3', null, name, !a.has(name) ? ' (added)' : !b.has(name) ? ' (removed)' : ''), h('pre', { class: 'diff' }, lines)));
  }
  return h('div', { 'aria-label': `Changes from ${short(from)} to ${short(to)}` },
    parts.length ? parts : [h('p', { class: 'muted' }, 'The two versions have the same code.')]);
}

export async function versionsView(ctx: Ctx, main: HTMLElement, [worker]: string[]): Promise<void> {
  const name = worker!;
  const load = async () => Promise.all([
    get<{ versions: Version[] }>(`/api/v1/workers/${enc(name)}/versions`),
    get<{ deployment: Deployment | null }>(`/api/v1/workers/${enc(name)}`),
  ]);
  const out = h('div', { class: 'diff-out', 'aria-live': 'polite' });
  const status = h('p', { role: 'status' });

  async function draw(): Promise<void> {
    const [{ versions }, { deployment }] = await load();
    const live = new Map(deployment?.versions.map((v) => [v.version_id, v.percentage]) ?? []);
    const fromSel = h('select', { name: 'from' }, versions.map((v, i) => h('option', { value: v.id, selected: i === 1 }, `${short(v.id)} ${v.message.slice(0, 40)}`)));
    const toSel = h('select', { name: 'to' }, versions.map((v, i) => h('option', { value: v.id, selected: i === 0 }, `${short(v.id)} ${v.message.slice(0, 40)}`)));
    const compare = h('form', { class: 'row compare', 'aria-label': 'Compare versions' },
      field('From', fromSel), field('To', toSel), h('button', { type: 'submit' }, 'Show diff'));
    compare.addEventListener('submit', async (e) => {
      e.preventDefault();
      fill(out, h('p', { class: 'muted' }, 'Loading…'));
      fill(out, await renderDiff(name, fromSel.value, toSel.value));
    });
    const rollback = async (v: Version) => {
      status.textContent = `Rolling back to ${short(v.id)}…`;
      try {
        await json('POST', `/api/v1/workers/${enc(name)}/rollback`, { version_id: v.id, message: `rollback to ${short(v.id)} from the dashboard` });
        status.textContent = `Rolled back: ${short(v.id)} is live.`;
        await draw();
      } catch (err) {
        status.textContent = err instanceof ApiFailure ? `${err.code}: ${err.message}` : (err as Error).message;
      }
    };
    fill(main,
      h('h2', null, 'Versions'),
      status,
      versions.length > 1 ? compare : null,
      h('div', { class: 'table-wrap' }, h('table', null,
        h('thead', null, h('tr', null, ['Version', 'Message', 'Created', 'Size', 'Live', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, versions.map((v, i) => h('tr', { class: live.has(v.id) ? 'live' : '' },
          h('th', { scope: 'row' }, h('code', { title: v.id }, short(v.id))),
          h('td', null, v.message || h('span', { class: 'muted' }, 'no message')),
          h('td', null, fmtTime(v.created_at)),
          h('td', { class: 'num' }, `${(v.size / 1024).toFixed(1)} KB`),
          h('td', null, live.has(v.id) ? h('span', { class: 'pill ok' }, `live ${live.get(v.id)}%`) : ''),
          h('td', null,
            i + 1 < versions.length ? h('button', { type: 'button', class: 'link', onclick: async () => fill(out, await renderDiff(name, versions[i + 1]!.id, v.id)) }, 'Diff with previous') : null,
            ctx.can('workers:write') && !(live.get(v.id) === 100)
              ? h('button', { type: 'button', onclick: () => void rollback(v), 'aria-label': `Roll back to ${short(v.id)}` }, 'Roll back to this')
              : null)))))),
      out);
  }
  await draw();
}
