// Reading request bodies with errors that say what is wrong: invalid UTF-8 and malformed
// JSON or multipart are 400s naming the part, not a generic failure.

import { badRequest } from '../errors.ts';
import type { ApiContext } from './context.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The body parsed as JSON, which must be an object (or an array when `array`). */
export async function readJson(c: ApiContext): Promise<Record<string, unknown>>;
export async function readJson(c: ApiContext, shape: 'array'): Promise<unknown[]>;
export async function readJson(c: ApiContext, shape: 'object' | 'array' = 'object'): Promise<Record<string, unknown> | unknown[]> {
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw badRequest('invalid_utf8', 'the request body is not valid UTF-8; send JSON encoded as UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw badRequest('invalid_json', `the request body is not valid JSON (${(err as Error).message}); send a JSON ${shape}`);
  }
  const isArray = Array.isArray(value);
  if (typeof value !== 'object' || value === null || isArray !== (shape === 'array')) {
    throw badRequest('invalid_json', `the request body must be a JSON ${shape}`);
  }
  return value as Record<string, unknown> | unknown[];
}

/** The body as multipart form data. */
export async function readForm(c: ApiContext): Promise<FormData> {
  const type = c.req.header('content-type') ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type)) {
    throw badRequest('invalid_multipart', `the upload must be multipart/form-data (got "${type.slice(0, 80) || 'no content type'}"); send a "metadata" part and one part per module`);
  }
  try {
    return await c.req.raw.formData();
  } catch (err) {
    throw badRequest('invalid_multipart', `the multipart body could not be parsed (${(err as Error).message}); check the boundary and the part headers`);
  }
}

/** A path segment decoded strictly: invalid percent-encoding or UTF-8 is a 400. */
export function decodeSegment(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest('invalid_utf8', `the ${what} in the URL is not valid percent-encoded UTF-8; encode it with encodeURIComponent`);
  }
}

/** An optional string field of a JSON body. */
export function optionalString(body: Record<string, unknown>, field: string, max: number): string | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badRequest('invalid_field', `"${field}" must be a string`);
  if (v.length > max) throw badRequest('invalid_field', `"${field}" is ${v.length} characters; keep it to ${max}`);
  return v;
}
