// Escalation alerts: what the node's chains are doing about deadlines
// missed on either side, missed roll-calls and silent link tests. The
// banner is the console alarm of the chain's steps; the Alerts view lists
// every open alert with who was notified and how that went.

import { el, href, utc, countdown } from './dom.js';

// maySilence: the officers on watch may silence what our people cannot
// resolve by acting (the server refuses silencing what we owe).
export function maySilence(me, a) {
  return me && (me.role === 'watch' || me.role === 'admin') && !a.alert.owed && !a.silenced_by;
}

// alarming lists the alerts that sound in the console now. A FLASH we owe
// an acknowledgement has the red FLASH alarm already, and an open
// roll-call its own banner with the answer button: one banner is enough.
export function alarming(alerts) {
  return alerts.filter(a => a.console && !a.silenced_by && !a.closed &&
    !(a.alert.kind === 'owed_ack' && a.alert.precedence === 'FLASH') &&
    a.alert.kind !== 'rollcall_pending');
}

function open(a) {
  const al = a.alert;
  return al.message ? el('a', { class: 'button', href: href('message', al.line, al.message), text: 'Open' }) : '';
}

// banner fills the escalation banner with the first alarming alert.
export function banner(e, alerts, me, silence) {
  const on = alarming(alerts);
  if (!on.length) {
    e.hidden = true;
    e.replaceChildren();
    delete e.dataset.alert;
    return false;
  }
  const a = on[0];
  const al = a.alert;
  e.replaceChildren(
    el('span', { class: 'alert-tag', text: al.precedence || 'ALERT' }),
    el('span', { class: 'alert-summary', text: al.summary }),
    al.detail ? el('span', { class: 'alert-detail', text: al.detail }) : '',
    el('span', { class: 'muted', text: ` · step ${a.step_name}` + (on.length > 1 ? ` · ${on.length - 1} more` : '') }),
    open(a),
    maySilence(me, a) ? el('button', { type: 'button', onclick: () => silence(a) }, 'Silence') : '',
    el('a', { class: 'button', href: '#/alerts', text: 'All alerts' }));
  e.dataset.alert = al.id;
  e.hidden = false;
  return true;
}

function deliveries(a) {
  const sent = a.sent || [];
  if (!sent.length) return el('span', { class: 'muted', text: 'console only' });
  return el('ul', { class: 'deliveries' }, sent.map(d =>
    el('li', { class: d.ok ? 'ok' : d.gave_up ? 'bad' : 'warn' },
      `${d.event === 'resolved' ? 'resolved' : d.step_name}: ${d.channel} ${d.to} — `,
      d.ok ? `delivered ${utc(d.last)}` : d.gave_up ? `failed: ${d.error || ''}` : `sending (${d.attempts} tries) ${d.error || ''}`)));
}

// list is the Alerts view.
export function list(alerts, me, silence) {
  if (!alerts.length) return el('p', { class: 'muted', id: 'no-alerts', text: 'No open alerts: nothing is owed and no deadline has passed.' });
  return el('table', { class: 'alerts' },
    el('thead', {}, el('tr', {}, ['Alert', 'What is proven', 'Deadline', 'Chain', 'Notified', ''].map(h => el('th', { text: h })))),
    el('tbody', {}, alerts.map(a => {
      const al = a.alert;
      return el('tr', { dataset: { alert: al.id, kind: al.kind }, class: a.silenced_by ? 'silenced' : al.owed ? 'owed' : '' },
        el('td', {}, al.precedence ? el('span', { class: 'prec prec-' + al.precedence, text: al.precedence }) : '',
          ' ', el('span', { text: al.summary }), el('div', { class: 'muted', text: al.line_title })),
        el('td', { text: al.detail || '' }),
        el('td', {}, al.deadline ? utc(al.deadline) : '—'),
        el('td', {}, `step ${a.step_name}` + (a.cycle ? ` (round ${a.cycle + 1})` : ''),
          a.next_step_at ? el('div', { class: 'muted' }, 'next step in ', countdown(a.next_step_at)) : '',
          a.silenced_by ? el('div', { class: 'muted', text: `silenced by ${a.silenced_by} at ${utc(a.silenced_at)}` }) : ''),
        el('td', {}, deliveries(a)),
        el('td', {}, open(a), maySilence(me, a) ? el('button', { type: 'button', onclick: () => silence(a) }, 'Silence') : ''));
    })));
}
