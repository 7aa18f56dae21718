// Roll-call: on the charter's schedule each party's officer on duty
// confirms a person is on watch. The answer is a signed entry in the
// party's log, so every party sees every other's "person present".

import { el, ago, utc, countdown } from './dom.js';

// mayAnswer: the officers who keep watch answer the roll-call.
export function mayAnswer(me) {
  return me && (me.role === 'watch' || me.role === 'admin');
}

// present is the board's cell for one party: when a person there last
// confirmed presence, and whether a roll-call is pending or was missed.
export function present(st, party, now) {
  const v = (st.roll_calls || []).find(r => r.party === party);
  if (!v) return el('span', { class: 'muted', text: 'no roll-call in the charter' });
  const last = v.last
    ? el('span', {}, el('span', { class: 'when', title: utc(v.last), text: ago(v.last, now) }), ' by ', el('span', { class: 'officer', text: v.officer || '?' }))
    : el('span', { class: 'muted', text: 'never confirmed' });
  return el('div', { dataset: { rollcall: v.missed ? 'missed' : v.pending ? 'pending' : 'ok' } },
    last,
    v.missed ? el('div', { class: 'bad', text: `missed the roll-call of ${utc(v.missed_slot)}` }) : '',
    v.pending ? el('div', { class: 'warn' }, 'roll-call open, answer within ', countdown(v.answer_by)) : '');
}

// owed lists the lines on which our own roll-call waits for an answer.
export function owed(statuses) {
  const out = [];
  for (const st of statuses) {
    const v = (st.roll_calls || []).find(r => r.party === st.me);
    if (v && (v.pending || v.missed)) out.push({ line: st.id, title: st.title, view: v });
  }
  return out;
}

// prompt fills the roll-call banner: the officer on duty confirms with
// one click. Nothing owed hides it.
export function prompt(banner, due, me, answer) {
  if (!due.length) {
    banner.hidden = true;
    banner.replaceChildren();
    return;
  }
  const d = due[0];
  banner.replaceChildren(
    el('span', { class: 'rollcall-tag', text: 'ROLL-CALL' }),
    el('span', { text: `${d.title}: confirm that a person is on watch` }),
    d.view.pending ? el('span', {}, ' — answer within ', countdown(d.view.answer_by)) : el('span', { class: 'bad', text: ' — missed: answer now' }),
    mayAnswer(me)
      ? el('button', { type: 'button', id: 'rollcall-answer', onclick: ev => { ev.target.disabled = true; answer(d.line); } }, 'I am on watch')
      : el('span', { class: 'muted', text: ' (a watch officer answers)' }));
  banner.dataset.line = d.line;
  banner.hidden = false;
}
