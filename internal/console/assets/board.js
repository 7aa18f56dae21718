// The line board: every line, its state, and for every party whether its
// terminal is alive (last contact on each route), whether a person is
// present (its latest roll-call) and its link tests.

import { el, ago, utc, cut } from './dom.js';
import { present } from './rollcall.js';
import { t, parts } from './i18n.js';
import * as linestate from './linestate.js';

// A route heard from within this long counts as alive.
const aliveWithin = 5 * 60 * 1000;

function lastContact(r) {
  const a = r.last_success ? new Date(r.last_success).getTime() : 0;
  const b = r.last_inbound ? new Date(r.last_inbound).getTime() : 0;
  const last = Math.max(a, b);
  return last ? new Date(last).toISOString() : '';
}

function routes(p, me, now) {
  if (p.party === me) return el('span', { class: 'muted', text: t('board.this_node') });
  if (!p.routes || !p.routes.length) return el('span', { class: 'bad', text: t('board.no_route') });
  return el('ul', { class: 'routes' }, p.routes.map(r => {
    const last = lastContact(r);
    const alive = last && now - new Date(last).getTime() < aliveWithin;
    const fails = r.consecutive_failures || 0;
    return el('li', { class: !alive ? 'bad' : fails ? 'warn' : 'ok', dataset: { route: r.route } },
      ...parts('board.last_contact', { Route: el('span', { class: 'route', text: r.route }),
        When: el('span', { class: 'when', title: utc(last), text: ago(last, now) }) }),
      r.rtt ? ` · ${Math.round(r.rtt / 1e6)} ms` : '',
      fails ? el('span', { class: 'bad', text: ' · ' + t('board.failures', { Count: fails }) }) : '',
      r.last_error && fails ? el('div', { class: 'err', text: r.last_error }) : '');
  }));
}

// ran reports whether a link test has a time: the status carries the
// zero time (year 1) for one never run.
function ran(test) {
  return !!test && !!test.at && new Date(test.at).getTime() > 0;
}

function linkTest(st, party, now) {
  const lt = (st.link_tests || []).find(v => v.by === party);
  if (!ran(lt)) {
    return el('span', { class: lt && lt.overdue ? 'bad' : 'muted', dataset: { linkTest: 'none' },
      text: lt && lt.overdue ? t('board.no_link_test_overdue') : t('board.no_link_test') });
  }
  const results = lt.results || [];
  const ok = results.filter(r => r.ok).length;
  return el('div', {},
    el('span', { title: utc(lt.at), text: ago(lt.at, now) }), ' · ',
    el('span', { class: ok === results.length ? 'ok' : 'bad', text: t('board.routes_ok', { Ok: ok, Count: results.length }) }),
    lt.overdue ? el('span', { class: 'bad', text: ' · ' + t('board.overdue') }) : '');
}

function receipts(st, p) {
  if (p.party === st.me) return t('board.log_of', { Count: p.log_size });
  return el('span', { class: p.pending ? 'warn' : 'ok',
    text: p.pending ? t('board.has_pending', { Has: p.receipt || 0, Pending: p.pending }) : t('board.has', { Has: p.receipt || 0 }) });
}

export function board(statuses) {
  const now = Date.now();
  if (!statuses.length) {
    return el('p', { class: 'muted', text: t('board.no_line') });
  }
  return el('div', { class: 'board' }, statuses.map(st =>
    el('section', { class: `line-card line-card-${st.state}`, dataset: { line: st.id } },
      el('h2', {}, st.title, ' ', linestate.chip(st)),
      linestate.banner(st),
      el('p', { class: 'muted' }, ...parts('board.line_id', { ID: el('code', { text: st.id }) }),
        st.evidence ? el('span', { class: 'warn', text: ' · ' + t('board.evidence', { Count: st.evidence }) }) : ''),
      el('table', { class: 'parties' },
        el('thead', {}, el('tr', {}, [t('board.col_party'), t('board.col_org'), t('board.col_alive'), t('board.col_present'),
          t('board.col_receipts'), t('board.col_link_test')].map(h => el('th', { text: h })))),
        el('tbody', {}, st.parties.map(p =>
          el('tr', { dataset: { party: p.party } },
            el('td', {}, el('strong', { text: p.party }), p.party === st.me ? ' ' + t('board.us') : ''),
            el('td', {}, cut(p.name), el('div', { class: 'muted' }, cut((p.langs || []).join(', ')))),
            el('td', {}, routes(p, st.me, now)),
            el('td', {}, present(st, p.party, now)),
            el('td', {}, receipts(st, p)),
            el('td', {}, linkTest(st, p.party, now)))))))));
}
