// The officer's own account: changing the password. The server checks the
// current password (wrong guesses count against the login limits) and
// ends the officer's other sessions; this one stays.

import { el } from './dom.js';
import { api } from './api.js';

export function account(me) {
  const status = el('p', { id: 'password-status', role: 'status' });
  const input = (id, name, auto) => el('input', { id, name, type: 'password', autocomplete: auto, required: true });
  const form = el('form', { id: 'password-form', class: 'account' },
    // The name lets a password manager match the new password to the account.
    el('input', { type: 'text', name: 'username', autocomplete: 'username', value: me.name, hidden: true, readonly: true }),
    el('label', {}, 'Current password', input('password-current', 'current', 'current-password')),
    el('label', {}, 'New password (at least 10 characters)', input('password-new', 'new', 'new-password')),
    el('label', {}, 'New password again', input('password-again', 'again', 'new-password')),
    el('button', { id: 'password-submit', class: 'primary', type: 'submit', text: 'Change password' }),
    status);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const f = form.elements;
    status.className = 'bad';
    if (f.new.value !== f.again.value) {
      status.textContent = 'The two new passwords differ.';
      return;
    }
    const button = document.getElementById('password-submit');
    button.disabled = true;
    status.className = '';
    status.textContent = 'Changing…';
    try {
      await api('POST', '/api/me/password', { current: f.current.value, new: f.new.value });
      status.textContent = 'Password changed. Your other console sessions have ended; this one goes on.';
      status.className = 'ok';
      form.reset();
    } catch (e) {
      status.textContent = e.status === 429 ? `Too many wrong passwords: try again in ${e.retryAfter} s.` : 'Not changed: ' + e.message;
      status.className = 'bad';
    } finally {
      button.disabled = false;
    }
  });
  return el('div', {}, el('h2', { text: 'Your account' }),
    el('p', { text: `${me.name}, ${me.role} at ${me.party}.` }),
    form);
}
