// Where isolates come from. The prelude is compiled once per process into a V8 startup
// snapshot; every isolate starts from it, so booting one costs a deserialization rather
// than a compile. A few spare isolates are kept ready so that a cold start only has to
// load the tenant's code (docs/architecture.md, "Cold starts", has the measurements).

import ivm from 'isolated-vm';
import { preludeBundle } from './prelude-bundle.ts';

let snapshot: ivm.ExternalCopy<ArrayBuffer> | null = null;
const spares: ivm.Isolate[] = [];
let refilling = false;

/** How many spare isolates (at the default heap size) to keep ready. */
export let spareTarget = 2;
export const DEFAULT_MEMORY_MB = 128;

export function setSpareTarget(n: number): void {
  spareTarget = n;
  while (spares.length > n) spares.pop()!.dispose();
}

export function preludeSnapshot(): ivm.ExternalCopy<ArrayBuffer> {
  if (!snapshot) {
    const { code } = preludeBundle();
    snapshot = ivm.Isolate.createSnapshot([{ code, filename: 'atoll:prelude.js' }]);
  }
  return snapshot;
}

export function newIsolate(memoryMb: number): ivm.Isolate {
  return new ivm.Isolate({ snapshot: preludeSnapshot(), memoryLimit: memoryMb });
}

function refill(): void {
  if (refilling) return;
  refilling = true;
  setImmediate(() => {
    refilling = false;
    if (spares.length < spareTarget) {
      spares.push(newIsolate(DEFAULT_MEMORY_MB));
      if (spares.length < spareTarget) refill();
    }
  });
}

/** An isolate with the prelude loaded: a spare one when the heap size is the default. */
export async function takeIsolate(memoryMb: number): Promise<ivm.Isolate> {
  if (memoryMb === DEFAULT_MEMORY_MB && spares.length > 0) {
    const iso = spares.pop()!;
    refill();
    return iso;
  }
  const iso = newIsolate(memoryMb);
  if (memoryMb === DEFAULT_MEMORY_MB) refill();
  return iso;
}

/** Fills the spare pool now (servers call it at start, so the first request is warm). */
export function warmPool(): void {
  preludeSnapshot();
  refill();
}
