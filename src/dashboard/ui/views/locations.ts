// Locations: each location's health and the version of each worker it serves.

import { enc, get } from '../api.ts';
import { fill, h } from '../dom.ts';
import { workerLocations } from '../locations.ts';
import type { Ctx } from '../main.ts';
import type { Deployment, LocationState } from '../types.ts';

export async function locationsView(_ctx: Ctx, main: HTMLElement): Promise<void> {
  const { workers } = await get<{ workers: { name: string }[] }>('/api/v1/workers');
  const byLocation = new Map<string, { healthy: boolean; detail: string; workers: { worker: string; version: string | null }[] }>();
  await Promise.all(workers.map(async (w) => {
    const { deployment } = await get<{ deployment: Deployment | null }>(`/api/v1/workers/${enc(w.name)}`);
    const states: LocationState[] = await workerLocations(w.name, deployment);
    for (const s of states) {
      const entry = byLocation.get(s.location) ?? { healthy: true, detail: s.detail, workers: [] };
      entry.healthy &&= s.healthy;
      entry.workers.push({ worker: w.name, version: s.version_id });
      byLocation.set(s.location, entry);
    }
  }));
  fill(main,
    h('h1', null, 'Locations'),
    byLocation.size === 0 ? h('p', { class: 'muted' }, 'No location serves a worker yet.') : null,
    [...byLocation].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, l]) => h('section', { class: 'card', 'aria-label': `Location ${name}` },
      h('h2', null, name, ' ', h('span', { class: `pill ${l.healthy ? 'ok' : 'bad'}` }, l.healthy ? 'healthy' : 'unhealthy')),
      l.detail ? h('p', { class: 'muted' }, l.detail) : null,
      h('table', null,
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Worker'), h('th', { scope: 'col' }, 'Version served'))),
        h('tbody', null, l.workers.sort((a, b) => (a.worker < b.worker ? -1 : 1)).map((w) => h('tr', null,
          h('th', { scope: 'row' }, h('a', { href: `#/workers/${enc(w.worker)}/code` }, w.worker)),
          h('td', null, h('code', null, w.version ?? 'nothing')))))))));
}
