// navigator: https://developers.cloudflare.com/workers/runtime-apis/web-standards/#navigatoruseragent
// userAgent is 'Cloudflare-Workers', what Workers returns: libraries detect the Workers
// runtime by this exact string (hono's getRuntimeKey, std-env, ...), and code written for
// Workers should take its Workers path here too. hardwareConcurrency is 1, as on Workers:
// a worker gets one thread, whatever the host has.

import { TypeErrorCtor } from './internal/primordials.ts';

let illegal = true;

export class Navigator {
  /** @internal Not constructible from tenant code. */
  constructor() {
    if (illegal) throw new TypeErrorCtor('Illegal constructor');
  }

  get userAgent(): string { return 'Cloudflare-Workers'; }
  get hardwareConcurrency(): number { return 1; }
  get [Symbol.toStringTag](): string { return 'Navigator'; }
}

illegal = false;
export const navigator = new Navigator();
illegal = true;
