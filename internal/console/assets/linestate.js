// A line's state, shown where no one can miss it: open, suspended or
// closed, by which party and officer, since when, and why. The node
// decides the state (package linestate's one rule) and the API carries it
// with the notice that set it; this module only shows it. A suspended
// line is alive: its banner says what still goes through, so it is not
// mistaken for a dead line, nor for a closed one.

import { el, utc } from './dom.js';
import { t, parts } from './i18n.js';

// The line states, as the officer's language names them.
const states = { open: 'state.open', suspended: 'state.suspended', closed: 'state.closed' };

// What each state still lets through, in the rule's own terms.
const allows = { suspended: 'linestate.allows_suspended', closed: 'linestate.allows_closed' };

// chip is the state as a short tag: OPEN, SUSPENDED, CLOSED.
export function chip(l) {
  const s = (l && l.state) || 'open';
  return el('span', { class: `state state-${s}`, dataset: { lineState: s }, text: states[s] ? t(states[s]) : s });
}

// by says who set the state and when: "by seoul (Kim Min-jun), since …".
function by(n) {
  const who = el('strong', { class: 'state-by', text: n.by });
  const since = el('span', { class: 'state-since', text: utc(n.since) });
  const notice = el('code', { text: n.notice });
  return n.officer
    ? parts('linestate.by_officer', { Party: who, Officer: el('span', { class: 'state-officer', text: n.officer }), Since: since, Notice: notice })
    : parts('linestate.by', { Party: who, Since: since, Notice: notice });
}

// banner is the line's state in full, for the top of its card on the
// board and its header everywhere else. An open line that was never
// suspended gets nothing: the chip says enough.
export function banner(l) {
  if (!l) return '';
  const s = l.state || 'open';
  const n = l.notice;
  if (s === 'open') {
    if (!n) return '';
    return el('p', { class: 'line-state-note muted', dataset: { lineState: 'open' } },
      ...parts('linestate.reopened', { By: el('span', {}, ...by(n)) }));
  }
  return el('div', { class: `line-state line-state-${s}`, role: 'status', dataset: { lineState: s } },
    el('p', { class: 'line-state-head' }, chip(l), ' ', ...(n ? by(n) : [])),
    n && n.reason ? el('p', { class: 'line-state-reason' },
      ...parts('linestate.reason', { Reason: el('span', { class: 'reason', dir: 'auto', text: n.reason }) })) : '',
    allows[s] ? el('p', { class: 'line-state-allows', text: t(allows[s]) }) : '');
}

// header is a line's title with its state, above a view of that line.
export function header(l) {
  if (!l) return '';
  return el('div', { class: 'line-header', dataset: { line: l.id } },
    el('h3', {}, el('span', { text: l.title }), l.name ? el('span', { class: 'muted', text: ` (${l.name})` }) : '', ' ', chip(l)),
    banner(l));
}

// needsDespite reports whether a message at precedence p on line l is
// refused unless the officer sends it despite the suspension.
export function needsDespite(l, p) {
  return !!l && l.state === 'suspended' && (p === 'ROUTINE' || p === 'PRIORITY');
}
