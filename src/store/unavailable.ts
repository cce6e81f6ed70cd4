// A store call that failed because the engine's backing service cannot answer now (NATS
// down, a JetStream leader being elected), not because of the call: retrying later can
// succeed. Every engine that has such a service throws this, so the API answers 503
// with a code the client can act on instead of a 500 internal error.

export class StoreUnavailableError extends Error {
  /**
   * True when the call wrote something and cannot tell whether it took effect (or knows
   * it did but cannot read it back yet): the API says so (code store_outcome_unknown),
   * since a client that retries blindly, or gives up, may be wrong either way.
   */
  readonly mayHaveWritten: boolean;

  constructor(message: string, options?: { cause?: unknown; mayHaveWritten?: boolean }) {
    super(message, options);
    this.name = 'StoreUnavailableError';
    this.mayHaveWritten = options?.mayHaveWritten ?? false;
  }
}
