// The shared agenda: exchange events (visits, port calls, joint
// exercises, talks, hotline drills) with their status and history, as
// every party's entries make them. A cancelled event stays on the list
// with its reason. Each step (propose, confirm, postpone, cancel, held)
// is an entry the node writes; the node applies the agenda's rules and
// refuses a step they do not allow, and the refusal is shown as it comes.

import { el, href, utc } from './dom.js';
import { api, line as lineURL } from './api.js';
import { t, parts } from './i18n.js';

const kinds = ['visit', 'port-call', 'exercise', 'talks', 'drill'];

// parseTime reads a time as officers write it (2017-03-10T01:00Z, or
// with an offset; without one it is UTC) into ISO form, or throws.
export function parseTime(s, what) {
  s = (s || '').trim();
  if (!s) return undefined;
  const zoned = /([zZ]|[+-]\d\d:?\d\d)$/.test(s) ? s : s + 'Z';
  const d = new Date(zoned);
  if (Number.isNaN(d.getTime())) throw new Error(t('agenda.bad_time', { Field: what }));
  return d.toISOString();
}

async function step(lineId, body, status, done) {
  status.className = '';
  status.textContent = t('agenda.writing');
  try {
    const r = await api('POST', lineURL(lineId) + '/agenda', body);
    status.textContent = t('agenda.written', { Entry: r.entry, Status: statusName(r.event.status) });
    status.className = 'ok';
    if (done) done();
  } catch (e) {
    status.textContent = t('agenda.not_written', { Error: e.message });
    status.className = 'bad';
  }
}

function proposeForm(lineId) {
  const status = el('p', { id: 'agenda-propose-status', role: 'status' });
  const form = el('form', { id: 'agenda-propose', class: 'agenda-propose compose', dataset: { keep: lineId } },
    el('label', {}, t('agenda.kind'), ' ', el('select', { name: 'kind', id: 'agenda-kind' }, kinds.map(k => el('option', { value: k, text: kindName(k) })))),
    el('label', {}, t('agenda.title_field'), ' ', el('input', { name: 'title', id: 'agenda-title', required: true, dir: 'auto' })),
    el('label', {}, t('agenda.start'), ' ', el('input', { name: 'start', id: 'agenda-start', required: true, placeholder: '2017-03-10T01:00Z' })),
    el('label', {}, t('agenda.end'), ' ', el('input', { name: 'end', id: 'agenda-end', placeholder: '2017-03-10T05:00Z' })),
    el('label', {}, t('agenda.place'), ' ', el('input', { name: 'place', id: 'agenda-place', required: true, dir: 'auto' })),
    el('label', {}, t('agenda.participants'), ' ', el('input', { name: 'participants', id: 'agenda-participants', dir: 'auto' })),
    el('button', { class: 'primary', type: 'submit', id: 'agenda-propose-send', text: t('agenda.propose') }),
    status);
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    const f = form.elements;
    let body;
    try {
      body = {
        action: 'propose', kind: f.kind.value, title: f.title.value.trim(), place: f.place.value.trim(),
        start: parseTime(f.start.value, t('agenda.start')), end: parseTime(f.end.value, t('agenda.end')),
        participants: f.participants.value.split(';').map(p => p.trim()).filter(Boolean),
      };
    } catch (e) {
      status.textContent = e.message;
      status.className = 'bad';
      return;
    }
    if (!body.participants.length) delete body.participants;
    step(lineId, body, status, () => form.reset());
  });
  return form;
}

function when(ev) {
  return ev.end ? t('agenda.from_to', { Start: utc(ev.start), End: utc(ev.end) }) : utc(ev.start);
}

// The statuses, kinds and steps, as the officer's language names them.
const statuses = { proposed: 'agenda.status_proposed', confirmed: 'agenda.status_confirmed', postponed: 'agenda.status_postponed',
  cancelled: 'agenda.status_cancelled', held: 'agenda.status_held' };
const kindNames = { 'visit': 'agenda.kind_visit', 'port-call': 'agenda.kind_port_call', 'exercise': 'agenda.kind_exercise',
  'talks': 'agenda.kind_talks', 'drill': 'agenda.kind_drill' };
const actionNames = { propose: 'agenda.act_propose', confirm: 'agenda.act_confirm', postpone: 'agenda.act_postpone',
  cancel: 'agenda.act_cancel', held: 'agenda.act_held' };
const statusName = s => statuses[s] ? t(statuses[s]) : s;
const kindName = k => kindNames[k] ? t(kindNames[k]) : k;

function statusChip(s) {
  return el('span', { class: `agenda-status agenda-${s}`, dataset: { status: s }, text: statusName(s) });
}

// cause links the entry that caused a cancellation to the message view,
// which shows it when it is a message (a formatted notice, say).
function cause(lineId, id) {
  return el('a', { class: 'agenda-because', href: href('message', lineId, id), text: id });
}

function history(ev, lineId) {
  return el('details', { class: 'agenda-history' },
    el('summary', { text: t('agenda.history', { Count: ev.history.length }) }),
    el('ol', {}, ev.history.map(c =>
      el('li', { class: c.refused ? 'refused' : '', dataset: { entry: c.entry } },
        el('span', { class: 'time', text: utc(c.time) }), ' · ',
        el('strong', { text: c.party }), c.officer ? [' (', el('span', { text: c.officer }), ')'] : '', ' ',
        el('span', { class: 'agenda-action', dataset: { action: c.action || '' }, text: actionNames[c.action] ? t(actionNames[c.action]) : (c.action || '?') }),
        c.start && c.action !== 'confirm' ? ` → ${utc(c.start)}` : '',
        c.reason ? [': ', el('span', { class: 'reason', dir: 'auto', text: c.reason })] : '',
        c.because ? [' ', ...parts('agenda.because', { Entry: cause(lineId, c.because) })] : '',
        ' ', el('code', { text: c.entry }),
        c.refused ? el('div', { class: 'bad', text: t('agenda.refused', { Error: c.refused }) }) : ''))));
}

// actions are the steps an officer may try on ev; the node decides.
function actions(ev, lineId, me) {
  if (!(me.role === 'drafter' || me.role === 'admin')) return '';
  if (ev.status === 'cancelled' || ev.status === 'held') return '';
  const status = el('p', { class: 'agenda-step-status', role: 'status' });
  const to = el('input', { name: 'start', placeholder: '2017-03-12T01:00Z', required: true });
  const postpone = el('form', { id: 'agenda-postpone-' + ev.id, class: 'agenda-inline', hidden: true, dataset: { keep: ev.id } },
    el('label', {}, t('agenda.new_start'), ' ', to), el('button', { type: 'submit', text: t('agenda.act_postpone') }));
  postpone.addEventListener('submit', e => {
    e.preventDefault();
    try {
      step(lineId, { action: 'postpone', event: ev.id, start: parseTime(to.value, t('agenda.new_start')) }, status);
    } catch (err) {
      status.textContent = err.message;
      status.className = 'bad';
    }
  });
  const reason = el('input', { name: 'reason', required: true, dir: 'auto', size: 40 });
  const because = el('input', { name: 'because', size: 14, placeholder: t('compose.reply_placeholder') });
  const cancel = el('form', { id: 'agenda-cancel-' + ev.id, class: 'agenda-inline', hidden: true, dataset: { keep: ev.id } },
    el('label', {}, t('agenda.reason'), ' ', reason), ' ',
    el('label', {}, t('agenda.because_field'), ' ', because), el('button', { type: 'submit', class: 'reject', text: t('agenda.cancel_event') }));
  cancel.addEventListener('submit', e => {
    e.preventDefault();
    step(lineId, { action: 'cancel', event: ev.id, reason: reason.value.trim(), because: because.value.trim() || undefined }, status);
  });
  const agreed = (ev.agreed_by || []).includes(me.party);
  return el('div', { class: 'agenda-actions' },
    !agreed ? el('button', { type: 'button', dataset: { act: 'confirm' }, text: t('agenda.act_confirm'),
      onclick: () => step(lineId, { action: 'confirm', event: ev.id }, status) }) : '',
    ev.status === 'confirmed' ? el('button', { type: 'button', dataset: { act: 'held' }, text: t('agenda.act_held'),
      onclick: () => step(lineId, { action: 'held', event: ev.id }, status) }) : '',
    el('button', { type: 'button', dataset: { act: 'postpone' }, text: t('agenda.postpone_open'), onclick: () => { postpone.hidden = false; to.focus(); } }),
    el('button', { type: 'button', dataset: { act: 'cancel' }, text: t('agenda.cancel_open'), onclick: () => { cancel.hidden = false; reason.focus(); } }),
    postpone, cancel, status);
}

function event(ev, lineId, me) {
  return el('article', { class: `agenda-event agenda-event-${ev.status}`, dataset: { event: ev.id, status: ev.status } },
    el('header', {}, statusChip(ev.status), ' ',
      el('h3', { class: 'agenda-title', dir: 'auto', text: ev.title }), ' ',
      el('span', { class: 'muted', text: kindName(ev.kind) })),
    el('dl', { class: 'meta' },
      el('dt', { text: t('agenda.when') }), el('dd', { class: 'agenda-when', text: when(ev) }),
      el('dt', { text: t('agenda.place') }), el('dd', { dir: 'auto', text: ev.place }),
      ev.participants && ev.participants.length ? [el('dt', { text: t('agenda.participants') }), el('dd', { dir: 'auto', text: ev.participants.join('; ') })] : [],
      el('dt', { text: t('agenda.proposed_by') }), el('dd', {}, ...parts('agenda.proposed_in', { Party: el('strong', { text: ev.proposer }), Entry: el('code', { text: ev.id }) })),
      ev.status === 'cancelled'
        ? [el('dt', { text: t('agenda.status_cancelled') }), el('dd', { class: 'agenda-cancellation' },
          ...parts('agenda.cancelled_by', { Party: el('strong', { text: ev.cancelled_by }), Reason: el('span', { class: 'reason', dir: 'auto', text: ev.reason }) }),
          ev.because ? [' ', ...parts('agenda.because', { Entry: cause(lineId, ev.because) })] : '')]
        : [el('dt', { text: t('agenda.agreed_by') }), el('dd', { text: (ev.agreed_by || []).join(', ') || '—' })]),
    actions(ev, lineId, me),
    history(ev, lineId));
}

// view is the agenda of one line: every event, cancelled ones too, soonest
// first as the node orders them, and the form to propose one.
export function view(events, lineId, me) {
  return el('div', { class: 'agenda' },
    me.role === 'drafter' || me.role === 'admin' ? el('section', { class: 'agenda-new' },
      el('h3', { text: t('agenda.propose_title') }), proposeForm(lineId)) : '',
    events.length ? events.map(ev => event(ev, lineId, me))
      : el('p', { class: 'muted', text: t('agenda.none') }));
}
