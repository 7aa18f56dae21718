// The proof page: the node exports the line's transcript and verifies it
// as `hotline verify` would, here and now. The verdict is at the top; then
// each party's log; then, per message (or per entry), under which
// checkpoint of its author's log it is included, which parties cosigned
// that checkpoint and when, and whether its body matches the commitment
// in its entry. No message text is shown here.

import { el, href, utc } from './dom.js';
import { line as lineURL } from './api.js';

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
      el('strong', { text: 'VERIFIED' }),
      el('p', { text: `All ${total} entries of the ${v.logs.length} logs verify against the parties' keys in the charter: ` +
        'every entry in its place, every body this node holds matches its commitment, every checkpoint and receipt is signed, ' +
        'and the entries hash to every signed root.' }));
  }
  return el('section', { id: 'proof-verdict', class: 'verdict verdict-bad', dataset: { verified: 'no', failure: v.failure || '' } },
    el('strong', { text: 'NOT VERIFIED' }),
    el('p', { id: 'proof-error', text: v.error || 'The transcript does not verify.' }),
    el('p', { text: 'What this node holds of the line does not match what the parties signed. ' +
      'Keep the data directory as it is, and compare with the other parties\' transcripts (hotline export, hotline verify).' }));
}

function summary(v) {
  const line = (what, c) => el('li', {}, `${what}: `,
    el('span', { class: 'ok', text: `${count(c, 'verified')} verified` }), ', ',
    el('span', { class: count(c, 'unconfirmed') ? 'warn' : 'muted', text: `${count(c, 'unconfirmed')} not yet cosigned` }), ', ',
    el('span', { class: count(c, 'failed') ? 'bad' : 'muted', text: `${count(c, 'failed')} failed` }));
  return el('ul', { class: 'proof-summary' },
    line('Messages', v.messages), line('All entries', v.counts),
    el('li', { class: 'muted', text: `Exported by ${v.exported_by} at ${utc(v.exported_at)}; checked in ${Math.round(v.took_ms)} ms.` }));
}

function logs(v) {
  return el('table', { class: 'proof-logs' },
    el('thead', {}, el('tr', {}, ['Log of', 'Entries', 'Signed checkpoint', 'Receipts', 'Cosigned up to', 'Problems']
      .map(h => el('th', { text: h })))),
    el('tbody', {}, v.logs.map(l => el('tr', { dataset: { log: l.author } },
      el('td', {}, el('strong', { text: l.author })),
      el('td', { text: String(l.size) }),
      el('td', { class: l.checkpoint === 'verified' ? 'ok' : 'bad', text: l.checkpoint }),
      el('td', { text: String(l.receipts) }),
      el('td', { text: Object.entries(l.held_by || {}).map(([p, n]) => `${p}: ${n}`).join(', ') || '—' }),
      el('td', { class: 'bad' }, (l.problems || []).map(p => el('div', { text: p })))))));
}

function cosigners(e) {
  if (!e.cosigned_by.length) return '—';
  return e.cosigned_by.map(c => el('div', {}, el('strong', { text: c.party }), ` at ${utc(c.time)}`));
}

function rows(v, lineId) {
  if (!v.entries.length) return el('p', { class: 'muted', text: 'Nothing to show.' });
  const head = ['Entry', 'Kind', 'Written', 'Log, index', 'Included under', 'Cosigned by', 'Body', 'Status'];
  return el('div', { class: 'table-scroll' }, el('table', { class: 'proof-entries' },
    el('thead', {}, el('tr', {}, head.map(h => el('th', { text: h })))),
    el('tbody', {}, v.entries.map(e => el('tr', { dataset: { id: e.id, status: e.status } },
      el('td', {}, e.kind === 'message' ? el('a', { href: href('message', lineId, e.id), text: e.id }) : e.id),
      el('td', {}, e.precedence ? el('span', { class: `prec prec-${e.precedence}`, text: e.precedence }) : e.kind || '?',
        e.ref ? el('div', { class: 'muted', text: `on ${e.ref}` }) : ''),
      el('td', { class: 'time', text: utc(e.written) }),
      el('td', { text: `${e.log}, ${e.index}` }),
      el('td', { text: e.checkpoint ? `checkpoint of size ${e.checkpoint}` : '—' }),
      el('td', {}, cosigners(e)),
      el('td', { class: `body body-${e.body}`, text: e.body }),
      el('td', {}, el('span', { class: `proof-status proof-${e.status}`, text: e.status }),
        e.problem ? el('div', { class: 'problem', text: e.problem }) : ''))))));
}

// proof renders the page. again re-runs the verification.
export function proof(v, lineId, every, again) {
  return el('div', { class: 'proof' },
    verdict(v),
    el('div', { class: 'actions' },
      el('button', { type: 'button', id: 'proof-again', onclick: again, text: 'Verify again' }),
      el('a', { href: href('proof', lineId) + (every ? '' : '?every=1'), text: every ? 'Messages only' : 'Every entry' })),
    summary(v),
    el('h3', { text: 'Logs' }),
    logs(v),
    el('h3', { text: every ? 'Entries' : 'Messages' }),
    el('p', { class: 'muted', text: `Failed ones first, then the newest: ${v.entries.length} of ${v.total}.` }),
    rows(v, lineId));
}
