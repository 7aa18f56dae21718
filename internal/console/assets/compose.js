// The compose form: a message in this party's language, with its
// precedence, optionally in reply to a received message.

import { el, href } from './dom.js';
import { api, line as lineURL } from './api.js';

const precedences = ['FLASH', 'IMMEDIATE', 'PRIORITY', 'ROUTINE'];

export function compose(lines, lineId, replyTo, me) {
  const status = el('p', { id: 'compose-status', role: 'status' });
  const form = el('form', { id: 'compose-form', class: 'compose' },
    el('label', {}, 'Line ',
      el('select', { id: 'compose-line', name: 'line' },
        lines.map(l => el('option', { value: l.id, selected: l.id === lineId, text: l.title })))),
    el('label', {}, 'Precedence ',
      el('select', { id: 'compose-precedence', name: 'precedence' },
        precedences.map(p => el('option', { value: p, selected: p === 'ROUTINE', text: p })))),
    el('label', {}, 'Language ',
      el('input', { id: 'compose-lang', name: 'lang', value: (me.langs || [])[0] || '', size: 8, required: true })),
    el('label', {}, 'In reply to ',
      el('input', { id: 'compose-reply', name: 'reply_to', value: replyTo || '', placeholder: 'e.g. beijing-3', size: 16 })),
    el('label', { class: 'wide' }, 'Text',
      el('textarea', { id: 'compose-text', name: 'text', rows: 10, required: true, dir: 'auto' })),
    el('button', { id: 'compose-send', class: 'primary', type: 'submit', text: 'Send' }),
    status);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    const f = form.elements;
    const body = {
      precedence: f.precedence.value, lang: f.lang.value.trim(),
      text: f.text.value, reply_to: f.reply_to.value.trim() || undefined,
    };
    const button = document.getElementById('compose-send');
    button.disabled = true;
    status.className = '';
    status.textContent = 'Sending…';
    try {
      const r = await api('POST', lineURL(f.line.value) + '/messages', body);
      status.replaceChildren('Sent as ', el('a', { href: href('message', r.line, r.id), text: r.id }),
        ` by ${r.officer}: on disk and queued for every party.`);
      status.className = 'ok';
      f.text.value = '';
      f.reply_to.value = '';
    } catch (e) {
      status.textContent = 'Not sent: ' + e.message;
      status.className = 'bad';
    } finally {
      button.disabled = false;
    }
  });
  return el('div', {}, el('h2', { text: 'Compose' }), form);
}
