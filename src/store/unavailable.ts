// A store call that failed because the engine's backing service cannot answer now (NATS
// down, a JetStream leader being elected), not because of the call: retrying later can
// succeed. Every engine that has such a service throws this, so the API answers 503
// with a code the client can act on instead of a 500 internal error.

export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}
