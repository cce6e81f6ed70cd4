// What the prelude knows about the worker it hosts: its format, its env, its handlers,
// and the global event target for service-worker listeners.

import type { WorkerSetup } from '../../shared/ops.ts';
import { EventTarget } from '../event-target.ts';

export interface WorkerConfig {
  format: WorkerSetup['format'];
  dev: boolean;
  compatibilityDate: string;
  compatibilityFlags: string[];
  env: Record<string, unknown>;
  moduleHandlers: Record<string, unknown> | null;
}

let config: WorkerConfig | null = null;

/** The global scope's EventTarget (addEventListener on the global object). */
export const globalTarget = new EventTarget();

export function setWorkerConfig(c: WorkerConfig): void {
  config = c;
}

export function workerConfig(): WorkerConfig {
  if (!config) throw new Error('worker not configured');
  return config;
}
