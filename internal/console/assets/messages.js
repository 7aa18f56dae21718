// Inbox, outbox and one message with its receipt ladder. Message text is
// rendered from text_visible (the server has made every invisible and
// control character visible) and only ever as text.

import { el, href, utc, countdown, cut } from './dom.js';
import { t, parts } from './i18n.js';
import * as notices from './notices.js';
import * as translations from './translations.js';

const precedences = ['FLASH', 'IMMEDIATE', 'PRIORITY', 'ROUTINE'];

const rungs = ['queued', 'sent', 'delivered', 'displayed', 'acknowledged', 'replied'];

// The rungs and states of the ladder, as the officer's language names them.
const rungNames = {
  queued: 'rung.queued', sent: 'rung.sent', delivered: 'rung.delivered', displayed: 'rung.displayed',
  acknowledged: 'rung.acknowledged', replied: 'rung.replied',
};
const rungName = r => rungNames[r] ? t(rungNames[r]) : r;

// mine is the ladder rung of a message at party.
export function rungOf(m, party) {
  return (m.ladder || []).find(r => r.party === party);
}

function prec(p) {
  return el('span', { class: `prec prec-${p}`, text: p });
}

function stateBadge(r) {
  return el('span', { class: `rung rung-${r ? r.state : 'none'}`, text: r ? rungName(r.state) : '—' });
}

// ackDue is the acknowledgement countdown of one rung.
function ackDue(r) {
  return r ? countdown(r.ack_by, r.acknowledged || r.replied) : countdown('');
}

export function list(lineId, msgs, outbox, me) {
  if (!msgs.length) {
    return el('p', { class: 'muted', text: outbox ? t('messages.none_sent') : t('messages.none_received') });
  }
  const head = [t('messages.col_precedence'), t('messages.col_id'), outbox ? t('messages.sent_by') : t('messages.from'),
    t('messages.written'), t('messages.col_lang'), t('messages.col_text'), outbox ? t('messages.col_receipts') : t('messages.col_state'),
    t('messages.ack_due')];
  const cols = ['prec', 'id', 'who', 'written', 'lang', 'text', 'state', 'due'];
  return el('table', { class: 'messages' },
    el('colgroup', {}, cols.map(c => el('col', { class: 'col-' + c }))),
    el('thead', {}, el('tr', {}, head.map(h => el('th', { text: h })))),
    el('tbody', {}, msgs.map(m => {
      const mine = rungOf(m, me.party);
      const open = () => { location.hash = href('message', lineId, m.id); };
      return el('tr', { class: `row prec-row-${m.precedence}`, dataset: { id: m.id }, onclick: open },
        el('td', {}, prec(m.precedence)),
        el('td', {}, el('a', { href: href('message', lineId, m.id), text: m.id }), threads(m, lineId)),
        el('td', {}, cut(outbox ? (m.sent_by || t('messages.command_line')) : m.author),
          !outbox && m.officer ? cut(officers(m), 'by') : ''),
        el('td', { class: 'time', text: utc(m.written) }),
        el('td', {}, cut(m.lang || '')),
        el('td', { class: 'preview', dir: 'auto', text: m.before_joining ? t('messages.before_joining_preview')
          : m.body_error ? t('messages.unreadable', { Error: m.body_error })
          : m.form_title && !m.text_visible ? t('notice.preview', { Title: m.form_title }) : m.text_visible }),
        el('td', {}, outbox
          ? (m.ladder || []).map(r => el('div', { dataset: { party: r.party } }, `${r.party}: `, stateBadge(r)))
          : stateBadge(mine)),
        el('td', {}, outbox ? (m.ladder || []).map(r => el('div', {}, ackDue(r))) : ackDue(mine)));
    })));
}

// threads links a message to what it answers and to the replies it got.
function threads(m, lineId) {
  const replies = (m.ladder || []).filter(r => r.reply);
  return [
    m.reply_to ? el('div', { class: 'thread' }, ...parts('messages.re', { Message: el('a', { class: 'reply-to', href: href('message', lineId, m.reply_to), text: m.reply_to, onclick: ev => ev.stopPropagation() }) })) : '',
    ...replies.map(r => el('div', { class: 'thread' }, ...parts('messages.answered', { Message: el('a', { class: 'replied-with', href: href('message', lineId, r.reply), text: r.reply, onclick: ev => ev.stopPropagation() }) }))),
  ];
}

function ladder(m) {
  const head = [t('messages.col_party'), t('messages.col_state'), ...rungs.map(rungName), t('messages.ack_due'), t('messages.reply_due')];
  return el('div', { class: 'table-scroll' }, el('table', { class: 'ladder' },
    el('thead', {}, el('tr', {}, head.map(h => el('th', { text: h })))),
    el('tbody', {}, (m.ladder || []).map(r =>
      el('tr', { dataset: { party: r.party } },
        el('td', {}, el('strong', { text: r.party })),
        el('td', { class: 'state' }, stateBadge(r)),
        ...rungs.map(name => el('td', { class: `time t-${name}` },
          utc(r[name]),
          name === 'acknowledged' && r.acked_by ? el('div', { class: 'by', text: t('messages.by', { Officer: r.acked_by }) }) : '',
          name === 'replied' && r.reply ? el('div', {}, el('a', { href: href('message', m.line, r.reply), text: r.reply })) : '')),
        el('td', {}, countdown(r.ack_by, r.acknowledged || r.replied)),
        el('td', {}, countdown(r.reply_by, r.replied)))))));
}

// officers names who spoke for the author's party, as its node signed it
// into the message: "drafted by X, released by Y" under two-person
// release, else "written by X".
export function officers(m) {
  if (m.released_by) return t('messages.drafted_released', { Drafter: m.officer, Releaser: m.released_by });
  return m.officer ? t('messages.written_by', { Officer: m.officer }) : '';
}

// mayReply: who answers a received message from its view, as the
// console's reply route allows (a watch officer too, who may not compose).
export function mayReply(me) {
  return me.role === 'watch' || me.role === 'drafter' || me.role === 'admin';
}

// replyForm is the answer to m beside its text: the precedence of what it
// answers unless the officer picks another, the officer's language.
function replyForm(m, me, send) {
  const status = el('p', { id: 'reply-status', role: 'status' });
  const form = el('form', { id: 'reply-form', class: 'reply', dataset: { for: `${m.line}/${m.id}`, key: crypto.randomUUID() } },
    el('h3', {}, ...parts('messages.reply_to', { Message: el('span', { text: m.id }) })),
    el('div', { class: 'reply-fields' },
      el('label', {}, t('messages.col_precedence'), ' ',
        el('select', { id: 'reply-precedence', name: 'precedence' },
          precedences.map(p => el('option', { value: p, selected: p === m.precedence, text: p })))),
      el('label', {}, t('messages.language'), ' ',
        el('input', { id: 'reply-lang', name: 'lang', value: (me.langs || [])[0] || '', size: 6, required: true }))),
    el('textarea', { id: 'reply-text', name: 'text', rows: 6, required: true, dir: 'auto', 'aria-label': t('messages.reply_text') }),
    el('button', { id: 'reply-send', class: 'primary', type: 'submit', text: t('messages.send_reply') }),
    status);
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    const f = form.elements;
    send({ precedence: f.precedence.value, lang: f.lang.value.trim(), text: f.text.value, key: form.dataset.key }, status);
  });
  return form;
}

// message renders one message. actions has the buttons' handlers.
export function message(m, me, actions) {
  const mine = rungOf(m, me.party);
  const canAck = m.inbound && mine && !mine.acknowledged && (me.role === 'watch' || me.role === 'admin');
  // A message written before this party joined cannot be read, so it is
  // neither acknowledged (it has no rung for us) nor answered.
  const canReply = m.inbound && !m.before_joining && mayReply(me);
  const replies = (m.ladder || []).filter(r => r.reply);
  const text = m.before_joining
    ? el('p', { class: 'muted', id: 'before-joining', text: t('messages.before_joining') })
    : m.body_error
    ? el('p', { class: 'bad', text: t('messages.body_error', { Error: m.body_error }) })
    : el('div', { class: 'text', id: 'message-text', dir: 'auto', lang: m.lang || undefined, text: m.text_visible });
  const form = canReply ? replyForm(m, me, actions.reply) : null;
  if (form) form.hidden = true;
  // The form in the page, which may be one kept from before a redraw.
  const openReply = () => {
    const f = document.getElementById('reply-form');
    f.hidden = false;
    f.closest('.message-body').classList.add('replying');
    f.elements.text.focus();
  };
  return el('article', { class: `message prec-row-${m.precedence}`, dataset: { id: m.id } },
    el('header', {},
      prec(m.precedence), ' ', el('h2', { class: 'msg-id', text: m.id })),
    el('dl', { class: 'meta' },
      el('dt', { text: m.inbound ? t('messages.from') : t('messages.sent_by') }),
      el('dd', { text: m.inbound ? m.author : `${m.author}` + (m.sent_by ? ` — ${m.sent_by}` : '') }),
      m.officer ? [el('dt', { text: t('messages.officers') }), el('dd', { id: 'message-officers', text: officers(m) })] : [],
      el('dt', { text: t('messages.written') }), el('dd', { text: t('messages.authors_clock', { Time: utc(m.written) }) }),
      el('dt', { text: t('messages.received') }), el('dd', { text: t('messages.our_clock', { Time: utc(m.received) }) }),
      el('dt', { text: t('messages.language') }), el('dd', { text: m.lang || '—' }),
      m.reply_to ? [el('dt', { text: t('messages.in_reply_to') }), el('dd', {}, el('a', { id: 'message-reply-to', href: href('message', m.line, m.reply_to), text: m.reply_to }))] : [],
      replies.length ? [el('dt', { text: t('messages.answered_by') }), el('dd', { id: 'message-replies' },
        replies.map((r, i) => [i ? ', ' : '', el('a', { href: href('message', m.line, r.reply), text: r.reply }), ` (${r.party})`]))] : []),
    el('div', { class: 'message-body' },
      translations.beside(m, el('div', { class: 'original' },
        notices.view(m),
        m.form_rows && !m.text_visible && !m.body_error ? '' : text,
        el('p', { class: 'muted note', text: t('messages.original_note') })), me),
      form || ''),
    el('div', { class: 'actions', id: 'message-actions' },
      canAck ? el('button', { id: 'ack', class: 'primary', type: 'button', onclick: actions.ack, text: t('messages.ack_as', { Officer: me.name }) }) : '',
      canReply ? el('button', { id: 'reply-open', type: 'button', onclick: openReply, text: t('messages.reply') }) : '',
      mine && mine.acknowledged ? el('span', { class: 'ok', id: 'acked', text: t('messages.acked_by', { Officer: mine.acked_by, Time: utc(mine.acknowledged) }) }) : ''),
    el('h3', { text: t('messages.ladder') }),
    ladder(m));
}
