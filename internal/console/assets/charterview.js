// The line's charter chain, read-only, below the proof: the version in
// force, each amendment with its state, who proposed, accepted or refused
// it and when, its changes in words; then each party's signing keys, with
// rotations and declared compromises. Everything a party wrote (reasons,
// officers' names) is the other side's text: it goes in as text only.

import { el, utc } from './dom.js';
import { line as lineURL } from './api.js';
import { t } from './i18n.js';

// path is the API request for the section.
export const path = lineId => lineURL(lineId) + '/charter';

// stateKey is an amendment's state as a name with no space: 'in force'
// is 'in_force'.
const stateKey = a => String(a.state).replace(' ', '_');

function state(a) {
  switch (stateKey(a)) {
    case 'proposed': return t('chain.state_proposed', { Parties: (a.waiting || []).join(', ') || '—' });
    case 'in_force': return t('chain.state_in_force', { Time: utc(a.since), Version: a.version });
    case 'refused': return t('chain.state_refused');
    case 'superseded': return t('chain.state_superseded');
  }
  return a.state;
}

function answers(list, id) {
  return (list || []).map(x => el('li', {},
    t(id, { Party: x.party, Officer: x.officer, Time: utc(x.time), Reason: x.reason || '—' }),
    x.unconfirmed ? el('span', { class: 'muted', text: ' (' + t('chain.unconfirmed') + ')' }) : ''));
}

function amendment(a) {
  const cls = { proposed: 'warn', in_force: 'ok', refused: 'bad' }[stateKey(a)] || 'muted';
  return el('li', { class: 'amendment', dataset: { amendment: a.id, state: a.state } },
    el('strong', { text: a.id }), ' ', el('span', { class: cls, text: state(a) }),
    el('div', { class: 'muted', text: t('chain.proposed_by', { Party: a.proposer, Officer: a.officer, Time: utc(a.proposed), Base: a.base }) }),
    el('div', { text: t('chain.reason', { Reason: a.reason }) }),
    el('ul', { class: 'amendment-changes' }, (a.described || []).map(d => el('li', { text: d }))),
    el('ul', { class: 'amendment-answers' }, answers(a.accepted, 'chain.accepted'), answers(a.refused, 'chain.refused')),
    a.why ? el('div', { class: 'problem', text: t('chain.why', { Why: a.why }) }) : '');
}

function key(k) {
  if (!k.index) return el('li', { dataset: { party: k.party } }, t('chain.key_charter', { Party: k.party, Key: k.log_key }));
  return el('li', { dataset: { party: k.party, index: k.index } },
    t('chain.key_from', { Party: k.party, Key: k.log_key, Index: k.index, Time: utc(k.time) }),
    k.compromised ? el('div', { class: 'bad', text: t('chain.key_compromised', { Time: utc(k.compromised) }) }) : '');
}

// view renders the section from GET /api/lines/{line}/charter.
export function view(c) {
  return el('section', { id: 'charter-chain', class: 'charter-chain' },
    el('h3', { text: t('chain.title') }),
    el('p', { text: t('chain.version', { Version: c.version }) }),
    c.amendments.length
      ? el('ul', { class: 'amendments' }, c.amendments.map(amendment))
      : el('p', { class: 'muted', text: t('chain.none') }),
    (c.refused || []).length ? [el('h4', { text: t('chain.refused_entries') }),
      el('ul', {}, c.refused.map(r => el('li', { class: 'problem', text: `${r.entry} (${r.author}): ${r.error}` })))] : '',
    el('h3', { text: t('chain.keys') }),
    el('ul', { class: 'keys' }, c.keys.map(key)));
}
