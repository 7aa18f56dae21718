// Translations beside the original. The original text and its language
// stay authoritative; each translation is an entry of its own, shown with
// who made it: the translator (a named officer), the party whose log
// holds it, and whether it is a person's work or a machine's. An officer
// who may reply may add one.

import { el, href, utc } from './dom.js';
import { api, msg as msgURL } from './api.js';
import { readerLang } from './notices.js';
import { t, parts } from './i18n.js';

// langName is a language tag with its name in the reader's language:
// "中文 (zh)". The tag comes from a party: it is only ever text.
function langName(tag, me) {
  let name = '';
  try {
    name = new Intl.DisplayNames([readerLang(me)], { type: 'language' }).of(tag) || '';
  } catch (e) {
    name = '';
  }
  return name && name !== tag ? `${name} (${tag})` : tag;
}

function attribution(tr) {
  const who = {
    Officer: el('strong', { class: 'translator', text: tr.officer || t('translation.no_officer') }),
    Party: el('span', { class: 'translator-party', text: tr.author }),
  };
  return el('p', { class: 'attribution', dataset: { kind: tr.machine ? 'machine' : 'human' } },
    ...parts(tr.machine ? 'translation.by_machine' : 'translation.by_human', who),
    el('span', { class: `translation-kind ${tr.machine ? 'machine' : 'human'}`, text: t(tr.machine ? 'translation.machine' : 'translation.human') }),
    el('span', { class: 'muted' }, ' · ', utc(tr.written), ' · ', el('code', { text: tr.id })));
}

function card(tr, me) {
  return el('section', { class: 'translation', dataset: { id: tr.id, lang: tr.lang } },
    el('h4', { text: t('translation.into', { Lang: langName(tr.lang, me) }) }),
    attribution(tr),
    el('div', { class: 'text', dir: 'auto', lang: tr.lang || undefined, text: tr.text_visible }));
}

function mayTranslate(me) {
  return me.role === 'watch' || me.role === 'drafter' || me.role === 'admin';
}

// addForm writes a translation of m by the officer logged in.
function addForm(m, me) {
  const own = readerLang(me);
  const status = el('p', { id: 'translate-status', role: 'status' });
  const button = el('button', { id: 'translate-send', type: 'submit', text: t('translation.add_as', { Officer: me.name }) });
  const form = el('form', { id: 'translate-form', class: 'translate', dataset: { keep: `${m.line}/${m.id}` } },
    el('h4', { text: t('translation.add') }),
    el('div', { class: 'translate-fields' },
      el('label', {}, t('translation.lang'), ' ', el('input', { id: 'translate-lang', name: 'lang', size: 6, required: true,
        value: own !== m.lang ? own : '' })),
      el('label', {}, el('input', { id: 'translate-machine', name: 'machine', type: 'checkbox' }), ' ', t('translation.machine_made'))),
    el('textarea', { id: 'translate-text', name: 'text', rows: 4, required: true, dir: 'auto', 'aria-label': t('translation.text') }),
    button,
    status);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const f = form.elements;
    button.disabled = true;
    status.className = '';
    status.textContent = t('translation.writing');
    try {
      const r = await api('POST', msgURL(m.line, m.id) + '/translations',
        { lang: f.lang.value.trim(), text: f.text.value, machine: f.machine.checked });
      status.replaceChildren(...parts('translation.added', { Entry: el('a', { href: href('message', m.line, m.id), text: r.id }), Officer: r.officer }));
      status.className = 'ok';
      f.text.value = '';
    } catch (e) {
      status.textContent = t('translation.not_added', { Error: e.message });
      status.className = 'bad';
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

// beside puts the original (an element) beside m's translations, and the
// form to add one.
export function beside(m, original, me) {
  const ts = m.translations || [];
  if (m.body_error) return original;
  return el('div', { class: 'bilingual' + (ts.length ? ' has-translations' : '') },
    el('div', { class: 'original-col' },
      el('h4', { text: t('translation.original', { Lang: langName(m.lang || '', me) }) }),
      original),
    el('div', { class: 'translations', id: 'translations' },
      ts.map(t => card(t, me)),
      mayTranslate(me) ? addForm(m, me) : ''));
}
