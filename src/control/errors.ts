// Errors the API answers with: an HTTP status, a stable code and a message that names
// the thing and the fix. Anything that is not an ApiError is our bug: the client gets
// `internal_error` with a reference, the log gets the stack under the same reference.

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export const badRequest = (code: string, message: string) => new ApiError(400, code, message);
export const notFound = (what: string, fix: string) => new ApiError(404, 'not_found', `${what} does not exist; ${fix}`);
export const conflict = (code: string, message: string) => new ApiError(409, code, message);
export const tooLarge = (message: string) => new ApiError(413, 'payload_too_large', message);

/** The JSON body of every error answer. */
export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
