// The API's records, as the dashboard reads them (docs/api.md).

export interface Binding {
  type: 'plain_text' | 'json' | 'secret_text' | 'kv_namespace' | 'service';
  name: string;
  text?: string;
  json?: unknown;
  namespace_id?: string;
  service?: string;
}

export interface Version {
  id: string;
  worker: string;
  hash: string;
  format: 'modules' | 'service-worker';
  main_module: string;
  compatibility_date: string;
  compatibility_flags: string[];
  bindings: Binding[];
  limits: { cpu_ms?: number; memory_mb?: number };
  message: string;
  created_at: string;
  size: number;
}

export interface Deployment {
  id: string;
  worker: string;
  versions: { version_id: string; percentage: number }[];
  message: string;
  created_at: string;
}

export interface Module {
  name: string;
  type: string;
  content?: string;
  content_base64?: string;
}

export interface Source {
  version_id: string;
  main_module: string;
  format: string;
  modules: Module[];
}

export interface WindowStats {
  requests: number;
  errors: number;
  cpu_ms: { p50: number; p90: number; p99: number };
}

export interface WorkerStats {
  window_minutes: number;
  total: WindowStats;
  locations: (WindowStats & { location: string; minutes: (WindowStats & { start: string })[] })[];
}

export interface Namespace {
  id: string;
  title: string;
}

export interface Zone {
  id: string;
  hostname: string;
  origin: string;
}

export interface Route {
  id: string;
  zone_id: string;
  pattern: string;
  worker: string;
}

export interface TailEvent {
  time: string;
  location: string;
  version: string;
  trigger: 'fetch' | 'scheduled';
  request?: { method: string; url: string; status: number };
  scheduled?: { cron: string };
  logs: { level: string; message: string }[];
  exceptions: { name: string; message: string }[];
  cpuMs: number;
  wallMs: number;
  outcome: string;
}

/** Where a worker runs: one entry per location (locations.ts). */
export interface LocationState {
  location: string;
  version_id: string | null;
  healthy: boolean;
  detail: string;
}
