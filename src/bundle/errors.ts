// Build errors as a developer reads them: `file:line:col: error: text`, the source line
// and a caret, so editors and terminals can jump to the spot.

import { resolve, sep } from 'node:path';
import type { Message } from 'esbuild';
import { UserError } from '../runtime/errors.ts';

const NODE_BUILTIN_HINT = 'Node.js built-in modules are not available to workers: use a Web API instead, or bundle a package that works in browsers.';

/** One esbuild message, in the form above; paths inside `projectDir` are shown relative. */
export function formatMessage(m: Message, kind: 'error' | 'warning', projectDir: string): string {
  const own = m.text.split(`${projectDir}${sep}`).join('');
  const text = /built into node/.test(m.notes.map((n) => n.text).join(' ')) ? `${own}. ${NODE_BUILTIN_HINT}` : own;
  if (!m.location) return `${kind}: ${text}`;
  const { file, line, column, lineText, length } = m.location;
  const caret = `${' '.repeat(column)}${'^'.repeat(Math.max(1, Math.min(length, lineText.length - column)))}`;
  return `${file}:${line}:${column + 1}: ${kind}: ${text}\n    ${lineText}\n    ${caret}`;
}

export class BundleError extends UserError {
  /** Absolute paths of the files the errors point into (the watcher keeps an eye on them). */
  readonly files: string[];
  readonly messages: Message[];
  constructor(messages: Message[], projectDir: string) {
    super(messages.map((m) => formatMessage(m, 'error', projectDir)).join('\n'), 'build_error');
    this.messages = messages;
    this.files = messages.flatMap((m) => (m.location ? [resolve(projectDir, m.location.file)] : []));
  }
}
