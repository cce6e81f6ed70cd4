// Locations: each location's health and the version of each worker it serves. The
// operator's admins also see every edge node, with the problems it reports (records it
// could not read, bundles it refused), from GET /api/v1/locations.

import { enc, get } from '../api.ts';
import { fill, h } from '../dom.ts';
import { workerLocations } from '../locations.ts';
import type { Ctx } from '../main.ts';
import type { Deployment, LocationState } from '../types.ts';

interface NodeInfo {
  location: string;
  node: string;
  healthy: boolean;
  connected: boolean;
  last_seen: number | string;
  workers: number;
  problems: { code: string; subject: string; message: string }[];
}

function nodesSection(nodes: NodeInfo[]): HTMLElement {
  return h('section', { class: 'card', 'aria-labelledby': 'nodes-title' },
    h('h2', { id: 'nodes-title' }, 'Edge nodes'),
    nodes.length === 0 ? h('p', { class: 'muted' }, 'No edge node has reported.') : h('div', { class: 'table-wrap' }, h('table', null,
      h('thead', null, h('tr', null, ['Node', 'Location', 'Health', 'Workers', 'Last report', 'Problems'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, nodes.map((n) => h('tr', null,
        h('th', { scope: 'row' }, n.node),
        h('td', null, n.location),
        h('td', null, h('span', { class: `pill ${n.healthy ? 'ok' : 'bad'}` }, n.healthy ? 'healthy' : 'unhealthy'), n.connected ? '' : ' serving its local copy'),
        h('td', { class: 'num' }, n.workers),
        h('td', null, new Date(n.last_seen).toLocaleTimeString()),
        h('td', null, n.problems.length === 0 ? h('span', { class: 'muted' }, 'none')
          : h('ul', { class: 'plain' }, n.problems.map((p) => h('li', null, h('code', null, p.code), ` ${p.subject}: ${p.message}`))))))))));
}

export async function locationsView(ctx: Ctx, main: HTMLElement): Promise<void> {
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
  const nodes = ctx.session.account?.operator && ctx.can('admin') ? (await get<{ locations: NodeInfo[] }>('/api/v1/locations').catch(() => null))?.locations ?? null : null;
  fill(main,
    h('h1', null, 'Locations'),
    nodes ? nodesSection(nodes) : null,
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
