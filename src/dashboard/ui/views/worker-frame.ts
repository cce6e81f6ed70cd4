// The frame of a worker's pages: its name and the tabs between them.

import { h } from '../dom.ts';

const TABS: [string, string][] = [['code', 'Code'], ['versions', 'Versions'], ['settings', 'Settings'], ['logs', 'Logs'], ['metrics', 'Metrics']];

/** Draws the frame into `main` and returns the element the tab's view fills. */
export function workerFrame(main: HTMLElement, name: string, tab: string): HTMLElement {
  const inner = h('div', { class: 'tab-body' });
  main.append(
    h('div', { class: 'worker-head' },
      h('h1', null, h('span', { class: 'muted' }, 'Worker '), name),
      h('nav', { class: 'tabs', 'aria-label': `Worker ${name}` },
        TABS.map(([key, label]) => h('a', { href: `#/workers/${encodeURIComponent(name)}/${key}`, ...(key === tab ? { 'aria-current': 'page' } : {}) }, label)))),
    inner);
  return inner;
}
