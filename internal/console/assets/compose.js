// The compose form: a message in this party's language, with its
// precedence, optionally in reply to a received message. Where the line's
// charter puts the precedence under two-person release, the message is
// saved as a draft that a second officer releases (drafts.js).

import { el, href } from './dom.js';
import { api, line as lineURL } from './api.js';
import { t, parts } from './i18n.js';
import * as notices from './notices.js';
import * as linestate from './linestate.js';

const precedences = ['FLASH', 'IMMEDIATE', 'PRIORITY', 'ROUTINE'];

// needsRelease reports whether precedence p on line l needs a second
// officer's release.
export function needsRelease(l, p) {
  return !!l && (l.two_person || []).includes(p);
}

// compose is the form. original, when known, is the received message
// replyTo names: the reply takes its precedence, and it is shown beside
// the form.
export function compose(lines, lineId, replyTo, me, original) {
  const status = el('p', { id: 'compose-status', role: 'status' });
  const release = el('p', { id: 'compose-release', class: 'release-note', hidden: true,
    text: t('compose.release_note') });
  const button = el('button', { id: 'compose-send', class: 'primary', type: 'submit', text: t('compose.send') });
  const text = el('textarea', { id: 'compose-text', name: 'text', rows: 10, required: true, dir: 'auto' });
  const notice = notices.part(lineId, me, text);
  const despite = el('label', { id: 'compose-despite', class: 'despite wide', hidden: true },
    el('input', { type: 'checkbox', name: 'despite_suspension', id: 'compose-despite-check' }),
    ' ', t('linestate.despite'));
  const form = el('form', { id: 'compose-form', class: 'compose' },
    el('label', {}, t('compose.line'), ' ',
      el('select', { id: 'compose-line', name: 'line' },
        lines.map(l => el('option', { value: l.id, selected: l.id === lineId, text: l.title })))),
    el('label', {}, t('messages.col_precedence'), ' ',
      el('select', { id: 'compose-precedence', name: 'precedence' },
        precedences.map(p => el('option', { value: p, selected: p === (original ? original.precedence : 'ROUTINE'), text: p })))),
    el('label', {}, t('messages.language'), ' ',
      el('input', { id: 'compose-lang', name: 'lang', value: (me.langs || [])[0] || '', size: 8, required: true })),
    el('label', {}, t('messages.in_reply_to'), ' ',
      el('input', { id: 'compose-reply', name: 'reply_to', value: replyTo || '', placeholder: t('compose.reply_placeholder'), size: 16 })),
    notice.el,
    el('label', { class: 'wide' }, t('messages.col_text'), text),
    despite,
    release,
    button,
    status);

  // The note and the button follow the line and precedence chosen.
  const follow = () => {
    const f = form.elements;
    const two = needsRelease(lines.find(l => l.id === f.line.value), f.precedence.value);
    release.hidden = !two;
    button.textContent = two ? t('compose.submit_release') : t('compose.send');
    despite.hidden = !linestate.needsDespite(lines.find(l => l.id === f.line.value), f.precedence.value);
  };
  form.elements.line.addEventListener('change', () => notice.load(form.elements.line.value));
  form.elements.line.addEventListener('change', follow);
  form.elements.precedence.addEventListener('change', follow);
  follow();

  // One key per message: kept until it is sent, so a retry after a lost
  // reply cannot send it twice; a new one for the next message.
  let key = crypto.randomUUID();
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const f = form.elements;
    const body = {
      precedence: f.precedence.value, lang: f.lang.value.trim(),
      text: f.text.value, reply_to: f.reply_to.value.trim() || undefined, key,
      despite_suspension: !despite.hidden && f.despite_suspension.checked ? true : undefined,
      ...notice.body(),
    };
    notice.clearErrors();
    button.disabled = true;
    status.className = '';
    status.textContent = t('send.sending');
    try {
      const r = await api('POST', lineURL(f.line.value) + '/messages', body);
      if (r.draft) {
        status.replaceChildren(...parts('send.draft_saved', { Draft: r.draft.id, Officer: r.officer,
          Needs: el('strong', { text: t('send.needs_release') }) }), ' ',
        el('a', { href: href('drafts', r.line), text: t('compose.see_drafts') }));
        status.dataset.draft = String(r.draft.id);
      } else {
        status.replaceChildren(...parts('compose.sent', { Message: el('a', { href: href('message', r.line, r.id), text: r.id }), Officer: r.officer }));
        delete status.dataset.draft;
      }
      status.className = 'ok';
      key = crypto.randomUUID();
      f.text.value = '';
      f.reply_to.value = '';
      notice.reset();
    } catch (e) {
      notice.error(e); // beside the field it names, when it names one
      status.textContent = t('send.not_sent', { Error: e.message });
      status.className = 'bad';
    } finally {
      button.disabled = false;
    }
  });
  const shown = original
    ? el('aside', { class: 'original', id: 'compose-original' },
      el('h3', {}, t('messages.in_reply_to'), ' ', el('span', { text: t('compose.original', { Message: original.id, Party: original.author }) })),
      el('div', { class: 'text', dir: 'auto', lang: original.lang || undefined, text: original.text_visible || '' }))
    : '';
  return el('div', {}, el('h2', { text: t('nav.compose') }), el('div', { class: original ? 'message-body replying' : '' }, form, shown));
}
