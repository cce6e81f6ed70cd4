// The preview pane: one request (method, URL, headers, body) to the unsaved draft,
// run in a throwaway isolate by POST /api/v1/workers/:name/preview; shows the response
// and the console output. Nothing is deployed.

import { ApiFailure, enc, json } from './api.ts';
import { field, fill, h } from './dom.ts';

export interface Draft {
  worker: string;
  body: Record<string, unknown>;
}

interface PreviewResult {
  response: { status: number; status_text: string; headers: [string, string][]; body: string; truncated: boolean } | null;
  logs: { level: string; message: string }[];
  exceptions: { name: string; message: string; stack: string | null }[];
  outcome: string;
  cpu_ms: number;
  wall_ms: number;
}

function parseHeaders(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`header line "${line.slice(0, 60)}" is not "Name: value"`);
    out.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return out;
}

/** `draft` gives the draft to run, or a message saying why there is none yet. */
export function previewPane(draft: () => Draft | string, enabled: boolean): HTMLElement {
  const method = h('select', { name: 'method' }, ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'].map((m) => h('option', { value: m }, m)));
  const url = h('input', { type: 'text', name: 'url', value: '/', spellcheck: 'false' });
  const headers = h('textarea', { name: 'headers', rows: 2, spellcheck: 'false', placeholder: 'accept: application/json' });
  const body = h('textarea', { name: 'body', rows: 2, spellcheck: 'false' });
  const send = h('button', { type: 'submit', class: 'primary', disabled: !enabled }, 'Send to draft');
  const out = h('div', { class: 'preview-out', 'aria-live': 'polite' });
  const form = h('form', { class: 'preview', 'aria-label': 'Preview the draft' },
    h('h2', null, 'Preview'),
    h('div', { class: 'row' }, field('Method', method), field('Path', url)),
    field('Headers', headers, 'One "Name: value" a line.'),
    field('Body', body),
    send,
    enabled ? null : h('p', { class: 'muted' }, 'Previewing runs code, which needs a token with workers:write.'),
    out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const d = draft();
    if (typeof d === 'string') {
      fill(out, h('p', { class: 'error', role: 'alert' }, d));
      return;
    }
    send.disabled = true;
    fill(out, h('p', { class: 'muted' }, 'Running the draft…'));
    try {
      const request = { method: method.value, url: url.value, headers: parseHeaders(headers.value), ...(body.value ? { body: body.value } : {}) };
      const r = await json<PreviewResult>('POST', `/api/v1/workers/${enc(d.worker)}/preview`, { ...d.body, request });
      fill(out,
        r.response
          ? h('div', { class: 'response' },
            h('p', { class: 'status' }, h('strong', { class: r.response.status >= 500 ? 'bad' : r.response.status >= 400 ? 'warn' : 'ok' }, `${r.response.status} ${r.response.status_text}`),
              ` · ${r.cpu_ms} ms CPU · ${r.outcome}`),
            h('details', null, h('summary', null, `Response headers (${r.response.headers.length})`),
              h('pre', null, r.response.headers.map(([k, v]) => `${k}: ${v}`).join('\n'))),
            h('pre', { class: 'body', 'aria-label': 'Response body' }, r.response.body + (r.response.truncated ? '\n[cut at 1 MiB]' : '')))
          : h('p', { class: 'bad' }, `No response: ${r.outcome}`),
        h('h3', null, 'Console'),
        r.logs.length === 0 && r.exceptions.length === 0
          ? h('p', { class: 'muted' }, 'No console output.')
          : h('ul', { class: 'console' },
            r.logs.map((l) => h('li', { class: `log-${l.level}` }, h('span', { class: 'lvl' }, l.level), ' ', l.message)),
            r.exceptions.map((x) => h('li', { class: 'log-error' }, h('span', { class: 'lvl' }, 'exception'), ' ', x.stack ?? `${x.name}: ${x.message}`))));
    } catch (err) {
      fill(out, h('p', { class: 'error', role: 'alert' }, err instanceof ApiFailure ? `${err.code}: ${err.message}` : (err as Error).message));
    } finally {
      send.disabled = !enabled;
    }
  });
  return form;
}
