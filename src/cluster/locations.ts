// "Which version runs where": each edge node's report (its heartbeat), and what the
// control API makes of them. In `atoll up` the one embedded edge reports directly; in
// distributed mode the control process keeps the last heartbeat of every node.

import type { Problem } from './control-state.ts';

export interface NodeServing {
  accountId: string;
  worker: string;
  versions: { versionId: string; percentage: number; warm: boolean }[];
}

/** What an edge node says about itself. */
export interface NodeReport {
  location: string;
  node: string;
  /** ms since the epoch, by the edge's clock. */
  at: number;
  /** Whether the node is connected to NATS (false: serving its local copy). */
  connected: boolean;
  serving: NodeServing[];
  problems: Problem[];
}

/** A node as the API lists it. */
export interface NodeStatus extends NodeReport {
  healthy: boolean;
  /** When the control plane last heard from it, ms since the epoch. */
  lastSeen: number;
}

export type LocationsProvider = () => NodeStatus[];

/** Checks a heartbeat read from NATS; throws an Error naming the first thing wrong. */
export function parseNodeReport(bytes: Uint8Array): NodeReport {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new Error('not JSON');
  }
  const r = v as NodeReport;
  if (typeof r !== 'object' || r === null) throw new Error('not a JSON object');
  for (const f of ['location', 'node'] as const) if (typeof r[f] !== 'string' || r[f] === '') throw new Error(`field "${f}" is not a non-empty string`);
  if (typeof r.at !== 'number') throw new Error('field "at" is not a number');
  if (typeof r.connected !== 'boolean') throw new Error('field "connected" is not a boolean');
  if (!Array.isArray(r.serving) || !r.serving.every((s) => typeof s?.accountId === 'string' && typeof s?.worker === 'string' && Array.isArray(s?.versions)
    && s.versions.every((x) => typeof x?.versionId === 'string' && typeof x?.percentage === 'number'))) {
    throw new Error('field "serving" is not a list of { accountId, worker, versions: [{ versionId, percentage }] }');
  }
  if (!Array.isArray(r.problems)) throw new Error('field "problems" is not a list');
  return r;
}

/** The last report of every node heard from, as the control process keeps them. */
export class NodeBook {
  readonly #nodes = new Map<string, { report: NodeReport; lastSeen: number }>();
  readonly #healthyWithin: number;
  readonly #forgetAfter: number;

  constructor(healthyWithin: number, forgetAfter: number) {
    this.#healthyWithin = healthyWithin;
    this.#forgetAfter = forgetAfter;
  }

  heard(report: NodeReport, now = Date.now()): void {
    this.#nodes.set(`${report.location}/${report.node}`, { report, lastSeen: now });
  }

  list(now = Date.now()): NodeStatus[] {
    const out: NodeStatus[] = [];
    for (const [k, n] of this.#nodes) {
      if (now - n.lastSeen > this.#forgetAfter) {
        this.#nodes.delete(k);
        continue;
      }
      out.push({ ...n.report, lastSeen: n.lastSeen, healthy: now - n.lastSeen <= this.#healthyWithin });
    }
    return out.sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : a.node < b.node ? -1 : 1));
  }
}

/** `atoll up`'s one edge as a node: in the same process, so always heard and healthy. */
export function embeddedNode(serving: { location: string; workers: NodeServing[] }, now = Date.now()): NodeStatus {
  return {
    location: serving.location, node: 'embedded', at: now, lastSeen: now, connected: true, healthy: true,
    serving: serving.workers.map((w) => ({ accountId: w.accountId, worker: w.worker, versions: w.versions })), problems: [],
  };
}
