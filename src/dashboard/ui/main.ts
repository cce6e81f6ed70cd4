// The dashboard's entry point: the session, the page frame (header, navigation, main
// region) and a hash router that mounts one view at a time. A view may return a cleanup
// function (closing a live tail, stopping a poll), called when the user leaves it.

import { get, useSession, call, type Session } from './api.ts';
import { fill, h } from './dom.ts';
import { codeView } from './views/code.ts';
import { kvView } from './views/kv.ts';
import { locationsView } from './views/locations.ts';
import { logsView } from './views/logs.ts';
import { metricsView } from './views/metrics.ts';
import { settingsView } from './views/settings.ts';
import { signInView } from './views/signin.ts';
import { versionsView } from './views/versions.ts';
import { workerFrame } from './views/worker-frame.ts';
import { workersView } from './views/workers.ts';

export interface Ctx {
  session: Session;
  /** Whether the signed-in token has a scope (admin has all). */
  can(scope: string): boolean;
}

type View = (ctx: Ctx, main: HTMLElement, params: string[]) => void | (() => void) | Promise<void | (() => void)>;

const WORKER_TABS: Record<string, View> = { code: codeView, versions: versionsView, settings: settingsView, logs: logsView, metrics: metricsView };

const ROUTES: [RegExp, View, string][] = [
  [/^\/?$/, workersView, 'workers'],
  [/^\/workers\/new$/, (ctx, main) => codeView(ctx, main, ['']), 'workers'],
  [/^\/workers\/([^/]+)(?:\/([a-z]+))?$/, (ctx, main, [name, tab]) => {
    const view = WORKER_TABS[tab ?? 'code'];
    if (!view) return notFound(main);
    const inner = workerFrame(main, name!, tab ?? 'code');
    return view(ctx, inner, [name!]);
  }, 'workers'],
  [/^\/kv(?:\/([^/]+))?$/, kvView, 'kv'],
  [/^\/locations$/, locationsView, 'locations'],
];

const app = document.getElementById('app')!;
let session: Session | null = null;
let cleanup: (() => void) | null = null;

function notFound(main: HTMLElement): void {
  fill(main, h('h1', null, 'Not found'), h('p', null, 'No such page. ', h('a', { href: '#/' }, 'Back to the workers')));
}

function signedOut(): void {
  session = null;
  useSession(null);
  render();
}

async function signOut(): Promise<void> {
  await call('DELETE', '/dashboard/session').catch(() => {});
  signedOut();
}

async function render(): Promise<void> {
  cleanup?.();
  cleanup = null;
  if (!session) {
    signInView(app, (s) => {
      session = s;
      useSession(s, signedOut);
      render();
    });
    return;
  }
  const s = session;
  const ctx: Ctx = { session: s, can: (scope) => s.token.scopes.includes('admin') || s.token.scopes.includes(scope) };
  // Parameters are decoded one by one below; the path is matched as it is.
  const path = location.hash.replace(/^#/, '') || '/';
  const route = ROUTES.find(([re]) => re.test(path));
  const main = h('main', { id: 'main', tabindex: '-1' });
  const link = (href: string, label: string, key: string) => h('a', { href, ...(route?.[2] === key ? { 'aria-current': 'page' } : {}) }, label);
  fill(app,
    h('header', { class: 'top' },
      h('a', { class: 'brand', href: '#/' }, 'atoll'),
      h('nav', { 'aria-label': 'Main' }, link('#/', 'Workers', 'workers'), link('#/kv', 'KV', 'kv'), link('#/locations', 'Locations', 'locations')),
      h('div', { class: 'who' },
        h('span', { title: `token ${s.token.id}: ${s.token.scopes.join(', ')}` }, `${s.account?.name ?? s.token.name} · ${s.token.scopes.join(', ')}`),
        h('button', { type: 'button', class: 'link', onclick: () => void signOut() }, 'Sign out'))),
    main);
  if (!route) return notFound(main);
  const match = route[0].exec(path)!;
  try {
    const done = await route[1](ctx, main, match.slice(1).map((p) => (p === undefined ? '' : decodeURIComponent(p))));
    if (typeof done === 'function') cleanup = done;
  } catch (err) {
    main.append(h('p', { class: 'error', role: 'alert' }, (err as Error).message));
  }
}

window.addEventListener('hashchange', () => void render());
// The skip link moves focus to the content; as a plain #main link it would be taken for a route.
document.querySelector('a.skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  document.getElementById('main')?.focus();
});

(async () => {
  try {
    session = await get<Session>('/dashboard/session');
    useSession(session, signedOut);
  } catch {
    session = null;
  }
  await render();
})();
