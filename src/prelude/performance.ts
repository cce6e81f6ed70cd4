// performance: https://w3c.github.io/hr-time/#the-performance-attribute
// As on Workers, timeOrigin is 0 and now() is the wall clock in whole milliseconds
// (https://developers.cloudflare.com/workers/runtime-apis/performance/): isolates of many
// tenants share a process, and a fine-grained clock is what timing side channels need.
// Code that measures durations with performance.now() works unchanged.

import { TypeErrorCtor } from './internal/primordials.ts';

const DateNow = Date.now;
let illegal = true;

export class Performance {
  /** @internal Not constructible from tenant code. */
  constructor() {
    if (illegal) throw new TypeErrorCtor('Illegal constructor');
  }

  get timeOrigin(): number { return 0; }
  now(): number { return DateNow(); }
  toJSON(): { timeOrigin: number } { return { timeOrigin: 0 }; }
  get [Symbol.toStringTag](): string { return 'Performance'; }
}

illegal = false;
export const performance = new Performance();
illegal = true;
