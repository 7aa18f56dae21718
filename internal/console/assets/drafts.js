// Drafts waiting for two-person release. A releaser (or an administrator)
// sees every officer's pending drafts of a line, with Release and Reject;
// no one may release a draft of their own. A drafter sees its own drafts
// and what became of them. Draft text is rendered from text_visible, and
// only as text: a releaser sees exactly what it releases.

import { el, href, utc } from './dom.js';
import { api, line as lineURL } from './api.js';
import { t, parts } from './i18n.js';

// The states of a draft, as the officer's language names them.
const states = { pending: 'draft.pending', releasing: 'draft.releasing', released: 'draft.released', rejected: 'draft.rejected' };

export const canRelease = me => me.role === 'releaser' || me.role === 'admin';
export const seesDrafts = me => me.role === 'drafter' || canRelease(me);

// load fetches what the drafts view of a line shows to me.
export async function load(lineId, me) {
  const base = lineURL(lineId) + '/drafts';
  if (canRelease(me)) {
    const [pending, all] = await Promise.all([
      api('GET', base + '?state=pending&limit=500'),
      api('GET', base + '?state=all&limit=30'),
    ]);
    return { pending, decided: all.filter(d => d.state !== 'pending') };
  }
  return { pending: [], decided: [], mine: await api('GET', base + '?state=all&limit=100') };
}

// pendingCount is how many drafts of a line wait for me to release them.
export async function pendingCount(lineId) {
  const list = await api('GET', lineURL(lineId) + '/drafts?state=pending&limit=500');
  return list.filter(d => !d.mine).length;
}

function prec(p) {
  return el('span', { class: `prec prec-${p}`, text: p });
}

function stateBadge(d) {
  return el('span', { class: `draft-state draft-${d.state}`, text: states[d.state] ? t(states[d.state]) : d.state });
}

function outcome(d) {
  if (d.state === 'released' && d.message) {
    return el('span', {}, ...parts('drafts.released_as', { Officer: d.decided_by, Time: utc(d.decided_at),
      Message: el('a', { href: href('message', d.line, d.message), text: d.message }) }));
  }
  if (d.state === 'rejected') {
    return el('span', {}, ...parts('drafts.rejected_why', { Officer: d.decided_by, Time: utc(d.decided_at),
      Reason: el('q', { class: 'reason', text: d.reason }) }));
  }
  if (d.state === 'releasing') return t('drafts.releasing_now', { Officer: d.decided_by });
  return '';
}

// pendingCard is one draft waiting, with what this officer may do to it.
function pendingCard(d, me, actions) {
  const status = el('p', { class: 'draft-status', role: 'status' });
  const reason = el('input', { class: 'reject-reason', name: 'reason', placeholder: t('drafts.why'), size: 40, maxlength: 1000 });
  const rejectForm = el('form', { class: 'reject-form', hidden: true },
    reason, ' ', el('button', { type: 'submit', class: 'confirm-reject', text: t('drafts.reject') }));
  rejectForm.addEventListener('submit', async ev => {
    ev.preventDefault();
    if (!reason.value.trim()) return;
    await actions.reject(d, reason.value.trim(), status);
  });
  const buttons = d.mine
    ? [el('span', { class: 'muted own', text: t('drafts.own') }),
      el('button', { type: 'button', class: 'reject', text: t('drafts.withdraw'), onclick: () => { rejectForm.hidden = false; reason.focus(); } })]
    : [el('button', { type: 'button', class: 'primary release', text: t('drafts.release'), onclick: () => actions.release(d, status) }),
      el('button', { type: 'button', class: 'reject', text: t('drafts.reject_open'), onclick: () => { rejectForm.hidden = false; reason.focus(); } })];
  return el('article', { class: `draft prec-row-${d.precedence}`, dataset: { draft: String(d.id) } },
    el('header', {}, prec(d.precedence), ' ', el('h3', { text: t('drafts.draft', { Draft: d.id }) })),
    el('dl', { class: 'meta' },
      el('dt', { text: t('drafts.drafted_by') }), el('dd', { class: 'drafter', text: t('drafts.drafter_at', { Officer: d.drafter, Time: utc(d.created) }) }),
      el('dt', { text: t('messages.language') }), el('dd', { text: d.lang || '—' }),
      d.reply_to ? [el('dt', { text: t('messages.in_reply_to') }), el('dd', {}, el('a', { href: href('message', d.line, d.reply_to), text: d.reply_to }))] : []),
    el('div', { class: 'text', dir: 'auto', lang: d.lang || undefined, text: d.text_visible }),
    el('div', { class: 'actions' }, buttons),
    rejectForm,
    status);
}

function decidedTable(list, mine) {
  if (!list.length) return el('p', { class: 'muted', text: mine ? t('drafts.none_mine') : t('drafts.none_yet') });
  const head = [t('drafts.col_draft'), t('messages.col_precedence'), t('drafts.col_drafted'), mine ? t('messages.col_text') : t('drafts.col_drafter'),
    t('messages.col_state'), t('drafts.col_decided')];
  return el('table', { class: 'drafts' },
    el('thead', {}, el('tr', {}, head.map(h => el('th', { text: h })))),
    el('tbody', {}, list.map(d => el('tr', { dataset: { draft: String(d.id), state: d.state } },
      el('td', { text: String(d.id) }),
      el('td', {}, prec(d.precedence)),
      el('td', { class: 'time', text: utc(d.created) }),
      mine ? el('td', { class: 'preview', dir: 'auto', text: d.text_visible }) : el('td', { text: d.drafter }),
      el('td', {}, stateBadge(d)),
      el('td', { class: 'outcome' }, outcome(d))))));
}

// drafts renders the view. actions has release(d, status) and
// reject(d, reason, status).
export function drafts(data, me, actions) {
  if (!canRelease(me)) {
    return el('div', {}, el('h3', { text: t('drafts.yours') }), decidedTable(data.mine, true));
  }
  return el('div', {},
    el('h3', { text: t('drafts.waiting') }),
    data.pending.length
      ? el('div', { class: 'draft-list' }, data.pending.map(d => pendingCard(d, me, actions)))
      : el('p', { class: 'muted', id: 'no-drafts', text: t('drafts.none_waiting') }),
    el('h3', { text: t('drafts.decided') }),
    decidedTable(data.decided, false));
}
