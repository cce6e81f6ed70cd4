// The workers list: each worker's current version, where it is live, and its requests,
// errors and CPU time over the last hour.

import { enc, get } from '../api.ts';
import { fill, fmtNumber, fmtTime, h } from '../dom.ts';
import { workerLocations } from '../locations.ts';
import type { Ctx } from '../main.ts';
import type { Deployment, WindowStats } from '../types.ts';

export async function workersView(ctx: Ctx, main: HTMLElement): Promise<void> {
  const [{ workers }, { workers: stats }] = await Promise.all([
    get<{ workers: { name: string; updated_at: string }[] }>('/api/v1/workers'),
    get<{ workers: ({ worker: string } & WindowStats)[] }>('/api/v1/stats'),
  ]);
  const rows = await Promise.all(workers.map(async (w) => {
    const { deployment } = await get<{ deployment: Deployment | null }>(`/api/v1/workers/${enc(w.name)}`);
    const live = await workerLocations(w.name, deployment);
    return { w, deployment, live, stats: stats.find((s) => s.worker === w.name) };
  }));
  const body = h('tbody');
  fill(body, rows.map(({ w, deployment, live, stats: s }) => h('tr', null,
    h('th', { scope: 'row' }, h('a', { href: `#/workers/${enc(w.name)}/code` }, w.name)),
    h('td', { 'data-label': 'Current version' }, deployment
      ? [deployment.versions.map((v) => h('div', null, h('code', { title: v.version_id }, v.version_id.slice(0, 16)), v.percentage < 100 ? ` (${v.percentage}%)` : '')),
        h('small', { class: 'muted' }, `${deployment.message || 'no message'} · ${fmtTime(deployment.created_at)}`)]
      : h('span', { class: 'muted' }, 'not deployed')),
    h('td', { 'data-label': 'Live at' }, live.filter((l) => l.version_id).map((l) => h('span', { class: `pill ${l.healthy ? 'ok' : 'bad'}`, title: l.detail }, l.location))),
    h('td', { class: 'num', 'data-label': 'Requests' }, fmtNumber(s?.requests ?? 0)),
    h('td', { class: `num ${s?.errors ? 'bad' : ''}`, 'data-label': 'Errors' }, fmtNumber(s?.errors ?? 0)),
    h('td', { class: 'num', 'data-label': 'CPU p50 / p99 (ms)' }, s && s.requests > 0 ? `${s.cpu_ms.p50} / ${s.cpu_ms.p99}` : '–'))));
  fill(main,
    h('div', { class: 'page-head' },
      h('h1', null, 'Workers'),
      ctx.can('workers:write') ? h('a', { class: 'button primary', href: '#/workers/new' }, 'New worker') : null),
    workers.length === 0
      ? h('p', { class: 'muted' }, 'No workers yet.')
      : h('div', { class: 'table-wrap' }, h('table', { class: 'stack' },
        h('caption', null, 'Requests, errors and CPU time are for the last hour.'),
        h('thead', null, h('tr', null,
          h('th', { scope: 'col' }, 'Worker'), h('th', { scope: 'col' }, 'Current version'), h('th', { scope: 'col' }, 'Live at'),
          h('th', { scope: 'col', class: 'num' }, 'Requests'), h('th', { scope: 'col', class: 'num' }, 'Errors'),
          h('th', { scope: 'col', class: 'num' }, 'CPU p50 / p99 (ms)'))),
        body)));
}
