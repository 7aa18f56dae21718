// Roll-call: on the charter's schedule each party's officer on duty
// confirms a person is on watch. The answer is a signed entry in the
// party's log, so every party sees every other's "person present".

import { el, ago, utc, countdown, cut } from './dom.js';
import { t, parts } from './i18n.js';

// mayAnswer: the officers who keep watch answer the roll-call.
export function mayAnswer(me) {
  return me && (me.role === 'watch' || me.role === 'admin');
}

// present is the board's cell for one party: when a person there last
// confirmed presence, and whether a roll-call is pending or was missed. A
// miss answered late stays on record, shown as late; only a miss nobody
// has answered since (miss_open, the node's one rule for it) asks for an
// answer.
export function present(st, party, now) {
  const v = (st.roll_calls || []).find(r => r.party === party);
  if (!v) return el('span', { class: 'muted', text: t('rollcall.none') });
  const last = v.last
    ? el('span', {}, ...parts('rollcall.last_by', { When: el('span', { class: 'when', title: utc(v.last), text: ago(v.last, now) }),
      Officer: cut(v.officer || '?', 'officer') }))
    : el('span', { class: 'muted', text: t('rollcall.never') });
  return el('div', { dataset: { rollcall: v.miss_open ? 'missed' : v.pending ? 'pending' : v.missed ? 'late' : 'ok' } },
    last,
    v.miss_open ? el('div', { class: 'bad', text: t('rollcall.missed', { Slot: utc(v.missed_slot) }) }) : '',
    v.missed && !v.miss_open ? el('div', { class: 'warn late-answer', text: t('rollcall.late', { Slot: utc(v.missed_slot), Time: utc(v.answered_late) }) }) : '',
    v.pending ? el('div', { class: 'warn' }, ...parts('rollcall.open', { Countdown: countdown(v.answer_by, '', t('due.answer')) })) : '');
}

// owed lists the lines on which our own roll-call waits for an answer.
export function owed(statuses) {
  const out = [];
  for (const st of statuses) {
    const v = (st.roll_calls || []).find(r => r.party === st.me);
    if (v && (v.pending || v.miss_open)) out.push({ line: st.id, title: st.title, view: v });
  }
  return out;
}

// prompt fills the roll-call line of the alarm area: the officer on duty
// confirms with one click. Nothing owed hides it.
export function prompt(banner, due, me, answer) {
  if (!due.length) {
    banner.hidden = true;
    banner.replaceChildren();
    delete banner.dataset.line;
    return;
  }
  const d = due[0];
  banner.replaceChildren(
    el('span', { class: 'rollcall-tag', text: t('rollcall.tag') }),
    el('span', { class: 'grow', title: d.title, text: t('rollcall.confirm', { Line: d.title }) }),
    d.view.pending && !d.view.miss_open
      ? countdown(d.view.answer_by, '', t('due.answer'))
      : el('span', { class: 'bad', text: t('rollcall.missed_answer', { Slot: utc(d.view.missed_slot) }) }),
    due.length > 1 ? el('span', { class: 'more', text: t('list.more', { Count: due.length - 1 }) }) : '',
    mayAnswer(me)
      ? el('button', { type: 'button', id: 'rollcall-answer', onclick: ev => { ev.target.disabled = true; answer(d.line); } }, t('rollcall.answer'))
      : el('span', { class: 'muted', text: t('rollcall.watch_answers') }));
  banner.dataset.line = d.line;
  banner.dataset.state = d.view.miss_open ? 'missed' : 'pending';
  banner.hidden = false;
}
