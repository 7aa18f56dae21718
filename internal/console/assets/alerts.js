// Escalation alerts: what the node's chains are doing about deadlines
// missed on either side, missed roll-calls and silent link tests. Two
// lines of the alarm area are the console alarm of the chain's steps (ours
// to act on, theirs to note); the Alerts view lists every open alert with
// who was notified and how that went.

import { el, href, utc, countdown } from './dom.js';
import { t, parts } from './i18n.js';

// The kinds of alerts the page words in the officer's language, from the
// alert's fields; another kind shows the node's summary (English).
const summaries = {
  owed_ack: 'alerts.owed_ack', owed_reply: 'alerts.owed_reply', peer_ack_overdue: 'alerts.peer_ack_overdue',
  peer_reply_overdue: 'alerts.peer_reply_overdue', undelivered: 'alerts.undelivered', linktest_overdue: 'alerts.linktest_overdue',
  rollcall_pending: 'alerts.rollcall_pending', rollcall_missed: 'alerts.rollcall_missed',
  peer_rollcall_missed: 'alerts.peer_rollcall_missed', clock_skew: 'alerts.clock_skew',
};

// summary is the alert in one line, in the officer's language. The
// node's own English words stay in the tooltip (hint).
export function summary(al) {
  const id = summaries[al.kind];
  return id ? t(id, { Party: al.party, Message: al.message, Deadline: utc(al.deadline) }) : al.summary;
}

// proven is what an alert about a message says is proven, in the
// officer's language, from its facts; other alerts give the node's words.
export function proven(al) {
  const f = al.facts || {};
  const inbound = al.kind === 'owed_ack' || al.kind === 'owed_reply';
  const outbound = al.kind === 'peer_ack_overdue' || al.kind === 'peer_reply_overdue';
  const out = [];
  if (al.kind === 'undelivered') {
    out.push(t('alerts.fact_queued', { Time: utc(f.queued) }));
    out.push(f.sent ? t('alerts.fact_sent', { Time: utc(f.sent) }) : t('alerts.fact_not_sent', { Party: al.party }));
    if (f.sent) out.push(t('alerts.fact_no_receipt'));
  } else if (inbound || outbound) {
    out.push(t(inbound ? 'alerts.fact_arrived' : 'alerts.fact_delivered', { Time: utc(f.delivered) }));
    if (f.displayed) out.push(t('alerts.fact_displayed', { Time: utc(f.displayed) }));
    else if (inbound) out.push(t('alerts.fact_not_displayed'));
    if (!f.acknowledged) out.push(t('alerts.fact_not_acknowledged'));
    else if (f.acked_by) out.push(t('alerts.fact_acknowledged_by', { Time: utc(f.acknowledged), Officer: f.acked_by }));
    else out.push(t('alerts.fact_acknowledged', { Time: utc(f.acknowledged) }));
    if (al.kind === 'owed_reply' || al.kind === 'peer_reply_overdue') out.push(t('alerts.fact_no_reply'));
  } else {
    return al.detail || '';
  }
  return out.join(t('alerts.list_sep'));
}

function hint(al) {
  return [al.summary, al.detail].filter(Boolean).join('\n');
}

// maySilence: the officers on watch may silence what our people cannot
// resolve by acting (the server refuses silencing what we owe).
export function maySilence(me, a) {
  return me && (me.role === 'watch' || me.role === 'admin') && !a.alert.owed && !a.silenced_by;
}

// alarming lists the alerts that sound in the console now. A FLASH we owe
// an acknowledgement has the red FLASH alarm already, and our roll-call
// its own line with the answer button: one line for each is enough.
export function alarming(alerts) {
  return alerts.filter(a => a.console && !a.silenced_by && !a.closed &&
    !(a.alert.kind === 'owed_ack' && a.alert.precedence === 'FLASH') &&
    a.alert.kind !== 'rollcall_pending' && a.alert.kind !== 'rollcall_missed');
}

function open(a) {
  const al = a.alert;
  return al.message ? el('a', { class: 'button', href: href('message', al.line, al.message), text: t('alarm.open') }) : '';
}

// fill makes e one line for the first of on, or hides it.
function fill(e, on, parts) {
  if (!on.length) {
    e.hidden = true;
    e.replaceChildren();
    delete e.dataset.alert;
    return false;
  }
  const a = on[0];
  const al = a.alert;
  e.replaceChildren(...parts(a, al),
    on.length > 1 ? el('span', { class: 'more', text: t('list.more', { Count: on.length - 1 }) }) : '',
    el('a', { class: 'button quiet', href: '#/alerts', text: t('alerts.all') }));
  e.dataset.alert = al.id;
  e.hidden = false;
  return true;
}

// banners fills the two lines of the alarm area that come from the
// escalation engine: owed, the deadlines our people must act on (the
// chain's console step reached), and theirs, what the other side has let
// pass, which we can only note (and silence). It reports whether any
// sounds.
export function banners(owed, theirs, alerts, me, silence) {
  const on = alarming(alerts);
  const ours = fill(owed, on.filter(a => a.alert.owed), (a, al) => [
    el('span', { class: 'alert-tag', text: al.precedence || t('alerts.owed_tag') }),
    el('span', { class: 'alert-summary grow', title: hint(al), text: summary(al) }),
    al.deadline ? countdown(al.deadline, '', t('due.due')) : '',
    open(a)]);
  const other = fill(theirs, on.filter(a => !a.alert.owed), (a, al) => [
    el('span', { class: 'theirs-tag', text: t('alerts.they_owe_tag') }),
    el('span', { class: 'alert-summary grow', title: hint(al), text: summary(al) },
      proven(al) ? el('span', { class: 'alert-detail', text: ' — ' + proven(al) }) : ''),
    maySilence(me, a) ? el('button', { type: 'button', class: 'quiet', onclick: () => silence(a) }, t('alerts.silence')) : '',
    open(a)]);
  return ours || other;
}

function deliveries(a) {
  const sent = a.sent || [];
  if (!sent.length) return el('span', { class: 'muted', text: t('alerts.console_only') });
  return el('ul', { class: 'deliveries' }, sent.map(d =>
    el('li', { class: d.ok ? 'ok' : d.gave_up ? 'bad' : 'warn' },
      t('alerts.delivery', { Step: d.event === 'resolved' ? t('alerts.resolved') : d.step_name, Channel: d.channel, To: d.to }), ' ',
      d.ok ? t('alerts.delivered', { Time: utc(d.last) }) : d.gave_up ? t('alerts.failed', { Error: d.error || '' })
        : t('alerts.sending', { Count: d.attempts, Error: d.error || '' }))));
}

// list is the Alerts view.
export function list(alerts, me, silence) {
  if (!alerts.length) return el('p', { class: 'muted', id: 'no-alerts', text: t('alerts.none') });
  const head = [t('alerts.col_alert'), t('alerts.col_proven'), t('alerts.col_deadline'), t('alerts.col_chain'), t('alerts.col_notified'), ''];
  return el('table', { class: 'alerts' },
    el('thead', {}, el('tr', {}, head.map(h => el('th', { text: h })))),
    el('tbody', {}, alerts.map(a => {
      const al = a.alert;
      return el('tr', { dataset: { alert: al.id, kind: al.kind }, class: a.silenced_by ? 'silenced' : al.owed ? 'owed' : '' },
        el('td', {}, al.precedence ? el('span', { class: 'prec prec-' + al.precedence, text: al.precedence }) : '',
          ' ', el('span', { title: hint(al), text: summary(al) }), el('div', { class: 'muted', text: al.line_title })),
        el('td', { title: al.detail || undefined, text: proven(al) }),
        el('td', {}, al.deadline ? utc(al.deadline) : '—'),
        el('td', {}, a.cycle ? t('alerts.step_round', { Step: a.step_name, Round: a.cycle + 1 }) : t('alerts.step', { Step: a.step_name }),
          a.next_step_at ? el('div', { class: 'muted' }, ...parts('alerts.next_step', { Countdown: countdown(a.next_step_at) })) : '',
          a.silenced_by ? el('div', { class: 'muted', text: t('alerts.silenced_by', { Officer: a.silenced_by, Time: utc(a.silenced_at) }) }) : ''),
        el('td', {}, deliveries(a)),
        el('td', {}, open(a), maySilence(me, a) ? el('button', { type: 'button', onclick: () => silence(a) }, t('alerts.silence')) : ''));
    })));
}
