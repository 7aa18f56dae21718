// The line board: every line, its state, and for every party whether its
// terminal is alive (last contact on each route), whether a person is
// present (its latest roll-call) and its link tests.

import { el, ago, utc, cut } from './dom.js';
import { present } from './rollcall.js';
import * as linestate from './linestate.js';

// A route heard from within this long counts as alive.
const aliveWithin = 5 * 60 * 1000;

function lastContact(r) {
  const a = r.last_success ? new Date(r.last_success).getTime() : 0;
  const b = r.last_inbound ? new Date(r.last_inbound).getTime() : 0;
  const t = Math.max(a, b);
  return t ? new Date(t).toISOString() : '';
}

function routes(p, me, now) {
  if (p.party === me) return el('span', { class: 'muted', text: 'this node' });
  if (!p.routes || !p.routes.length) return el('span', { class: 'bad', text: 'no route has carried anything yet' });
  return el('ul', { class: 'routes' }, p.routes.map(r => {
    const t = lastContact(r);
    const alive = t && now - new Date(t).getTime() < aliveWithin;
    const fails = r.consecutive_failures || 0;
    return el('li', { class: !alive ? 'bad' : fails ? 'warn' : 'ok', dataset: { route: r.route } },
      el('span', { class: 'route', text: r.route }), ': last contact ',
      el('span', { class: 'when', title: utc(t), text: ago(t, now) }),
      r.rtt ? ` · ${Math.round(r.rtt / 1e6)} ms` : '',
      fails ? el('span', { class: 'bad', text: ` · ${fails} failure${fails > 1 ? 's' : ''} in a row` }) : '',
      r.last_error && fails ? el('div', { class: 'err', text: r.last_error }) : '');
  }));
}

// ran reports whether a link test has a time: the status carries the
// zero time (year 1) for one never run.
function ran(t) {
  return !!t && !!t.at && new Date(t.at).getTime() > 0;
}

function linkTest(st, party, now) {
  const t = (st.link_tests || []).find(v => v.by === party);
  if (!ran(t)) {
    return el('span', { class: t && t.overdue ? 'bad' : 'muted', dataset: { linkTest: 'none' },
      text: 'no link test yet' + (t && t.overdue ? ' — overdue' : '') });
  }
  const results = t.results || [];
  const ok = results.filter(r => r.ok).length;
  return el('div', {},
    el('span', { title: utc(t.at), text: ago(t.at, now) }), ' · ',
    el('span', { class: ok === results.length ? 'ok' : 'bad', text: `${ok}/${results.length} routes ok` }),
    t.overdue ? el('span', { class: 'bad', text: ' · overdue' }) : '');
}

function receipts(st, p) {
  if (p.party === st.me) return `log of ${p.log_size} ${p.log_size === 1 ? 'entry' : 'entries'}`;
  return el('span', { class: p.pending ? 'warn' : 'ok', text: `has ${p.receipt || 0} of ours` + (p.pending ? `, ${p.pending} pending` : '') });
}

export function board(statuses) {
  const now = Date.now();
  if (!statuses.length) {
    return el('p', { class: 'muted', text: 'This node has no line yet: pair with hotline line propose/accept.' });
  }
  return el('div', { class: 'board' }, statuses.map(st =>
    el('section', { class: `line-card line-card-${st.state}`, dataset: { line: st.id } },
      el('h2', {}, st.title, ' ', linestate.chip(st)),
      linestate.banner(st),
      el('p', { class: 'muted' }, 'line ', el('code', { text: st.id }),
        st.evidence ? el('span', { class: 'warn', text: ` · ${st.evidence} refused inputs kept as evidence` }) : ''),
      el('table', { class: 'parties' },
        el('thead', {}, el('tr', {}, ['Party', 'Organization', 'Terminal alive (last contact per route)', 'Person present (roll-call)', 'Receipts', 'Latest link test']
          .map(h => el('th', { text: h })))),
        el('tbody', {}, st.parties.map(p =>
          el('tr', { dataset: { party: p.party } },
            el('td', {}, el('strong', { text: p.party }), p.party === st.me ? ' (us)' : ''),
            el('td', {}, cut(p.name), el('div', { class: 'muted' }, cut((p.langs || []).join(', ')))),
            el('td', {}, routes(p, st.me, now)),
            el('td', {}, present(st, p.party, now)),
            el('td', {}, receipts(st, p)),
            el('td', {}, linkTest(st, p.party, now)))))))));
}
