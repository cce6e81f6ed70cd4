// Sign-in: an API token is traded for a session cookie (POST /dashboard/session). The
// token goes to the server once and is not kept by the page.

import { ApiFailure, type Session } from '../api.ts';
import { field, fill, h } from '../dom.ts';

export function signInView(app: HTMLElement, done: (s: Session) => void): void {
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true, spellcheck: 'false', placeholder: 'atoll_…' });
  const error = h('p', { class: 'error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to atoll'),
    field('API token', token, 'The admin token atoll up printed on its first start, or one made with POST /api/v1/tokens.'),
    button, error);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    button.disabled = true;
    try {
      const res = await fetch('/dashboard/session', {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: token.value }), credentials: 'same-origin',
      });
      const body = await res.json() as Session & { error?: { code: string; message: string } };
      if (!res.ok) throw new ApiFailure(res.status, body.error?.code ?? 'error', body.error?.message ?? `sign-in failed (${res.status})`);
      token.value = '';
      done(body);
    } catch (err) {
      error.textContent = (err as Error).message;
      token.focus();
    } finally {
      button.disabled = false;
    }
  });
  fill(app, h('main', { id: 'main', class: 'center' }, form));
  token.focus();
}
