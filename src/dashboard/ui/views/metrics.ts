// Charts of a worker's last hour per location: requests and errors a minute, and the
// CPU time percentiles a minute. Refreshed every 10 seconds while open.

import { enc, get } from '../api.ts';
import { fill, h } from '../dom.ts';
import type { Ctx } from '../main.ts';
import type { WorkerStats } from '../types.ts';
import { lineChart } from '../chart.ts';

export async function metricsView(_ctx: Ctx, main: HTMLElement, [worker]: string[]): Promise<() => void> {
  const body = h('div');
  main.append(h('h2', null, 'Metrics'), body);
  const draw = async () => {
    const s = await get<WorkerStats>(`/api/v1/workers/${enc(worker!)}/stats`);
    fill(body,
      h('p', null, `Last ${s.window_minutes} minutes: ${s.total.requests} requests, ${s.total.errors} errors, CPU p50 ${s.total.cpu_ms.p50} ms, p90 ${s.total.cpu_ms.p90} ms, p99 ${s.total.cpu_ms.p99} ms.`),
      s.locations.length === 0 ? h('p', { class: 'muted' }, 'No requests in the last hour.') : null,
      s.locations.map((l) => {
        const starts = l.minutes.map((m) => m.start);
        return h('section', { class: 'card', 'aria-label': `Location ${l.location}` },
          h('h3', null, `Location ${l.location}`, h('span', { class: 'muted' }, ` · ${l.requests} requests, ${l.errors} errors`)),
          h('div', { class: 'charts' },
            lineChart('Requests and errors a minute', 'count', [
              { label: 'requests', values: l.minutes.map((m) => m.requests), className: 's1' },
              { label: 'errors', values: l.minutes.map((m) => m.errors), className: 's2' },
            ], starts, 'bars'),
            lineChart('CPU time a request', 'ms', [
              { label: 'p50', values: l.minutes.map((m) => (m.requests ? m.cpu_ms.p50 : NaN)), className: 's1' },
              { label: 'p90', values: l.minutes.map((m) => (m.requests ? m.cpu_ms.p90 : NaN)), className: 's3' },
              { label: 'p99', values: l.minutes.map((m) => (m.requests ? m.cpu_ms.p99 : NaN)), className: 's2' },
            ], starts)));
      }));
  };
  await draw();
  const timer = window.setInterval(() => void draw().catch(() => {}), 10_000);
  return () => window.clearInterval(timer);
}
