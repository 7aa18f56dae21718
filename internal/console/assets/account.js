// The officer's own account: the language it reads the console in, and
// changing the password. The server checks the current password (wrong
// guesses count against the login limits) and ends the officer's other
// sessions; this one stays.

import { el } from './dom.js';
import { api } from './api.js';
import { t } from './i18n.js';

const roles = { watch: 'role.watch', drafter: 'role.drafter', releaser: 'role.releaser', admin: 'role.admin' };

// roleName is a role as the officer's language names it.
export function roleName(role) {
  return roles[role] ? t(roles[role]) : role;
}

// Each language is named in its own words, in every catalog.
const langNames = { en: 'lang.en', ko: 'lang.ko', zh: 'lang.zh' };

// language is the form that sets the officer's language; changed(catalog)
// runs with the new catalog once the node has stored the choice.
function language(me, changed) {
  const status = el('p', { id: 'lang-status', role: 'status' });
  const select = el('select', { id: 'lang-select', name: 'lang' },
    el('option', { value: '', selected: !me.own_lang, text: t('account.lang_default') }),
    Object.entries(langNames).map(([l, id]) => el('option', { value: l, lang: l, selected: me.own_lang === l, text: t(id) })));
  select.addEventListener('change', async () => {
    select.disabled = true;
    try {
      changed(await api('POST', '/api/me/lang', { lang: select.value }), select.value);
    } catch (e) {
      status.textContent = t('account.lang_not_changed', { Error: e.message });
      status.className = 'bad';
      select.disabled = false;
    }
  });
  return el('form', { id: 'lang-form', class: 'account', onsubmit: ev => ev.preventDefault() },
    el('label', {}, t('account.lang'), ' ', select), status);
}

export function account(me, changed) {
  const status = el('p', { id: 'password-status', role: 'status' });
  const input = (id, name, auto) => el('input', { id, name, type: 'password', autocomplete: auto, required: true });
  const form = el('form', { id: 'password-form', class: 'account' },
    // The name lets a password manager match the new password to the account.
    el('input', { type: 'text', name: 'username', autocomplete: 'username', value: me.name, hidden: true, readonly: true }),
    el('label', {}, t('account.current'), input('password-current', 'current', 'current-password')),
    el('label', {}, t('account.new'), input('password-new', 'new', 'new-password')),
    el('label', {}, t('account.again'), input('password-again', 'again', 'new-password')),
    el('button', { id: 'password-submit', class: 'primary', type: 'submit', text: t('account.change') }),
    status);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const f = form.elements;
    status.className = 'bad';
    if (f.new.value !== f.again.value) {
      status.textContent = t('account.differ');
      return;
    }
    const button = document.getElementById('password-submit');
    button.disabled = true;
    status.className = '';
    status.textContent = t('account.changing');
    try {
      await api('POST', '/api/me/password', { current: f.current.value, new: f.new.value });
      status.textContent = t('account.changed');
      status.className = 'ok';
      form.reset();
    } catch (e) {
      status.textContent = e.code === 'rate_limited' ? e.message : t('account.not_changed', { Error: e.message });
      status.className = 'bad';
    } finally {
      button.disabled = false;
    }
  });
  return el('div', {}, el('h2', { text: t('account.title') }),
    el('p', { text: t('account.who', { Name: me.name, Role: roleName(me.role), Party: me.party }) }),
    language(me, changed),
    el('h3', { text: t('account.password') }),
    form);
}
