// Everything the dashboard adds to the control API's app, in one call from
// src/control/api/app.ts: its page and sign-in, and the API endpoints it needs beyond
// the others (version source, preview, last-hour stats).

import type { Hono } from 'hono';
import type { ApiDeps, ApiEnv } from '../control/api/context.ts';
import { mountPreview } from './api/preview.ts';
import { mountSource } from './api/source.ts';
import { mountStats } from './api/stats.ts';
import { mountDashboard } from './routes.ts';
import type { Sessions } from './session.ts';

export { Sessions } from './session.ts';

export function mountDashboardAll(app: Hono<ApiEnv>, deps: ApiDeps, sessions: Sessions): void {
  mountDashboard(app, deps, sessions);
  mountSource(app, deps);
  mountPreview(app, deps);
  mountStats(app, deps);
}
