// Live logs: the worker's tail (Server-Sent Events, GET /api/v1/workers/:name/tail,
// which the browser's EventSource opens with the session cookie), with the tail's own
// filters. Newest first, the last 200 kept.

import { enc } from '../api.ts';
import { field, h } from '../dom.ts';
import type { Ctx } from '../main.ts';
import type { TailEvent } from '../types.ts';

const KEEP = 200;

function line(e: TailEvent): HTMLElement {
  const bad = e.outcome !== 'ok' || (e.request?.status ?? 0) >= 500;
  const what = e.request ? `${e.request.method} ${e.request.url} ${e.request.status}` : `cron ${e.scheduled?.cron ?? ''}`;
  return h('li', { class: bad ? 'bad-line' : '' },
    h('div', { class: 'tail-head' },
      h('time', { datetime: e.time }, new Date(e.time).toLocaleTimeString()), ' ',
      h('strong', null, what), ' ',
      h('span', { class: 'muted' }, `${e.outcome} · ${e.cpuMs} ms CPU · ${e.location} · ${e.version.slice(0, 12)}`)),
    e.logs.length || e.exceptions.length
      ? h('ul', { class: 'console' },
        e.logs.map((l) => h('li', { class: `log-${l.level}` }, h('span', { class: 'lvl' }, l.level), ' ', l.message)),
        e.exceptions.map((x) => h('li', { class: 'log-error' }, h('span', { class: 'lvl' }, 'exception'), ` ${x.name}: ${x.message}`)))
      : null);
}

export function logsView(ctx: Ctx, main: HTMLElement, [worker]: string[]): () => void {
  if (!ctx.can('logs:read')) {
    main.append(h('p', { class: 'muted' }, 'Live logs need a token with the logs:read scope.'));
    return () => {};
  }
  const status = h('select', { name: 'status' }, h('option', { value: '' }, 'any'), h('option', { value: 'ok' }, 'ok'), h('option', { value: 'error' }, 'error'), h('option', { value: 'canceled' }, 'canceled'));
  const method = h('input', { type: 'text', name: 'method', placeholder: 'GET', size: 8, spellcheck: 'false' });
  const search = h('input', { type: 'search', name: 'search', placeholder: 'text in URL, console, exceptions' });
  const state = h('p', { role: 'status', class: 'muted' }, 'Connecting…');
  const list = h('ol', { class: 'tail', reversed: true, 'aria-label': 'Log lines, newest first' });
  const toggle = h('button', { type: 'button' }, 'Pause');
  let source: EventSource | null = null;

  const open = () => {
    source?.close();
    const q = new URLSearchParams();
    if (status.value) q.set('status', status.value);
    if (method.value.trim()) q.set('method', method.value.trim().toUpperCase());
    if (search.value.trim()) q.set('search', search.value.trim());
    source = new EventSource(`/api/v1/workers/${enc(worker!)}/tail${q.size ? `?${q}` : ''}`);
    state.textContent = 'Connecting…';
    toggle.textContent = 'Pause';
    source.addEventListener('ready', () => { state.textContent = 'Live: waiting for requests.'; });
    source.addEventListener('invocation', (m) => {
      list.prepend(line(JSON.parse((m as MessageEvent<string>).data) as TailEvent));
      while (list.children.length > KEEP) list.lastElementChild!.remove();
    });
    source.addEventListener('dropped', () => { state.textContent = 'The tail fell behind and was closed by the server; press Resume.'; source?.close(); source = null; toggle.textContent = 'Resume'; });
    source.onerror = () => { state.textContent = 'Disconnected; retrying…'; };
  };
  const filters = h('form', { class: 'row filters', 'aria-label': 'Log filters' },
    field('Outcome', status), field('Method', method), field('Search', search), h('button', { type: 'submit' }, 'Apply filters'), toggle);
  filters.addEventListener('submit', (e) => { e.preventDefault(); open(); });
  toggle.addEventListener('click', () => {
    if (source) {
      source.close();
      source = null;
      state.textContent = 'Paused.';
      toggle.textContent = 'Resume';
    } else open();
  });
  main.append(h('h2', null, 'Live logs'), filters, state, list);
  open();
  return () => source?.close();
}
