/** Access: the login form. The key goes to POST /api/v1/session once; the server answers with an HTTP-only cookie. */
import { ApiError, login } from '../api.js';
import { h, render } from '../dom.js';

export function loginView(root: HTMLElement, onDone: () => void, reason?: string): void {
  const key = h('input', {
    id: 'api-key',
    name: 'api_key',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    'aria-describedby': 'login-help login-error',
    spellcheck: 'false',
  });
  const error = h('p', { class: 'error', id: 'login-error', role: 'alert' }, reason ?? '');
  const submit = h('button', { type: 'submit', class: 'primary', id: 'login-submit' }, 'Sign in');
  const form = h(
    'form',
    { class: 'login', id: 'login-form', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Sign in to wharf'),
    h('label', { for: 'api-key' }, 'API key'),
    key,
    h(
      'p',
      { class: 'hint', id: 'login-help' },
      'Create one with ',
      h('code', {}, 'wharf cloud keys create'),
      '. It is kept in an HTTP-only session cookie, never in this page.',
    ),
    submit,
    error,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (key.value.trim() === '') {
      error.textContent = 'Enter an API key.';
      key.focus();
      return;
    }
    submit.disabled = true;
    error.textContent = '';
    login(key.value.trim())
      .then(() => {
        key.value = '';
        onDone();
      })
      .catch((err: unknown) => {
        error.textContent =
          err instanceof ApiError && (err.status === 401 || err.status === 403)
            ? 'That API key was not accepted. Check it, or create a new one with `wharf cloud keys create`.'
            : `Sign-in failed: ${err instanceof Error ? err.message : String(err)}`;
        key.select();
        key.focus();
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  render(root, form);
  key.focus();
}
