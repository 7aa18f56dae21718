// The proof page: the node exports the line's transcript and verifies it
// as `hotline verify` would, here and now. The verdict is at the top; then
// each party's log; then, per message (or per entry), under which
// checkpoint of its author's log it is included, which parties cosigned
// that checkpoint and when, and whether its body matches the commitment
// in its entry. No message text is shown here.

import { el, href, utc } from './dom.js';
import { line as lineURL } from './api.js';
import { t } from './i18n.js';

// The statuses of an entry and of a body, as the officer's language names them.
const statuses = {
  verified: 'proof.status_verified', unconfirmed: 'proof.status_unconfirmed', failed: 'proof.status_failed',
  mismatch: 'proof.body_mismatch', absent: 'proof.body_absent',
};
const statusName = s => statuses[s] ? t(statuses[s]) : s;

// path is the API request for the page; every entry, or messages only.
export function path(lineId, every) {
  return lineURL(lineId) + '/transcript?limit=200' + (every ? '' : '&kind=message');
}

function count(c, status) {
  return (c && c[status]) || 0;
}

function verdict(v) {
  const total = Object.values(v.counts || {}).reduce((a, b) => a + b, 0);
  if (v.verified) {
    return el('section', { id: 'proof-verdict', class: 'verdict verdict-ok', dataset: { verified: 'yes' } },
      el('strong', { text: t('proof.verified') }),
      el('p', { text: t('proof.verified_text', { Count: total, Logs: v.logs.length }) }));
  }
  return el('section', { id: 'proof-verdict', class: 'verdict verdict-bad', dataset: { verified: 'no', failure: v.failure || '' } },
    el('strong', { text: t('proof.not_verified') }),
    el('p', { id: 'proof-error', text: v.error || t('proof.does_not_verify') }),
    el('p', { text: t('proof.not_verified_text') }));
}

function summary(v) {
  const line = (what, c) => el('li', {}, what, ': ',
    el('span', { class: 'ok', text: t('proof.n_verified', { Count: count(c, 'verified') }) }), ', ',
    el('span', { class: count(c, 'unconfirmed') ? 'warn' : 'muted', text: t('proof.n_unconfirmed', { Count: count(c, 'unconfirmed') }) }), ', ',
    el('span', { class: count(c, 'failed') ? 'bad' : 'muted', text: t('proof.n_failed', { Count: count(c, 'failed') }) }));
  return el('ul', { class: 'proof-summary' },
    line(t('proof.messages'), v.messages), line(t('proof.all_entries'), v.counts),
    el('li', { class: 'muted', text: t('proof.exported', { Party: v.exported_by, Time: utc(v.exported_at), Ms: Math.round(v.took_ms) }) }));
}

function logs(v) {
  return el('table', { class: 'proof-logs' },
    el('thead', {}, el('tr', {}, [t('proof.col_log_of'), t('proof.col_entries'), t('proof.col_checkpoint'), t('proof.col_receipts'),
      t('proof.col_cosigned'), t('proof.col_problems')].map(h => el('th', { text: h })))),
    el('tbody', {}, v.logs.map(l => el('tr', { dataset: { log: l.author } },
      el('td', {}, el('strong', { text: l.author })),
      el('td', { text: String(l.size) }),
      el('td', { class: l.checkpoint === 'verified' ? 'ok' : 'bad', text: statusName(l.checkpoint) }),
      el('td', { text: String(l.receipts) }),
      el('td', { text: Object.entries(l.held_by || {}).map(([p, n]) => `${p}: ${n}`).join(', ') || '—' }),
      el('td', { class: 'bad' }, (l.problems || []).map(p => el('div', { text: p })))))));
}

function cosigners(e) {
  if (!e.cosigned_by.length) return '—';
  return e.cosigned_by.map(c => el('div', {}, el('strong', { text: c.party }), ' ', t('proof.at', { Time: utc(c.time) })));
}

function rows(v, lineId) {
  if (!v.entries.length) return el('p', { class: 'muted', text: t('proof.nothing') });
  const head = [t('proof.col_entry'), t('proof.col_kind'), t('messages.written'), t('proof.col_log_index'), t('proof.col_included'),
    t('proof.col_cosigned_by'), t('proof.col_body'), t('messages.col_state')];
  return el('div', { class: 'table-scroll' }, el('table', { class: 'proof-entries' },
    el('thead', {}, el('tr', {}, head.map(h => el('th', { text: h })))),
    el('tbody', {}, v.entries.map(e => el('tr', { dataset: { id: e.id, status: e.status } },
      el('td', {}, e.kind === 'message' ? el('a', { href: href('message', lineId, e.id), text: e.id }) : e.id),
      el('td', {}, e.precedence ? el('span', { class: `prec prec-${e.precedence}`, text: e.precedence }) : e.kind || '?',
        e.ref ? el('div', { class: 'muted', text: t('proof.on', { Ref: e.ref }) }) : ''),
      el('td', { class: 'time', text: utc(e.written) }),
      el('td', { text: `${e.log}, ${e.index}` }),
      el('td', { text: e.checkpoint ? t('proof.checkpoint_size', { Size: e.checkpoint }) : '—' }),
      el('td', {}, cosigners(e)),
      el('td', { class: `body body-${e.body}`, text: statusName(e.body) }),
      el('td', {}, el('span', { class: `proof-status proof-${e.status}`, text: statusName(e.status) }),
        e.problem ? el('div', { class: 'problem', text: e.problem }) : ''))))));
}

// proof renders the page. again re-runs the verification.
export function proof(v, lineId, every, again) {
  return el('div', { class: 'proof' },
    verdict(v),
    el('div', { class: 'actions' },
      el('button', { type: 'button', id: 'proof-again', onclick: again, text: t('proof.again') }),
      el('a', { href: href('proof', lineId) + (every ? '' : '?every=1'), text: every ? t('proof.messages_only') : t('proof.every_entry') })),
    summary(v),
    el('h3', { text: t('proof.logs') }),
    logs(v),
    el('h3', { text: every ? t('proof.entries') : t('proof.messages') }),
    el('p', { class: 'muted', text: t('proof.order', { Shown: v.entries.length, Total: v.total }) }),
    rows(v, lineId));
}
