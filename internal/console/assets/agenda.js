// The shared agenda: exchange events (visits, port calls, joint
// exercises, talks, hotline drills) with their status and history, as
// every party's entries make them. A cancelled event stays on the list
// with its reason. Each step (propose, confirm, postpone, cancel, held)
// is an entry the node writes; the node applies the agenda's rules and
// refuses a step they do not allow, and the refusal is shown as it comes.

import { el, utc } from './dom.js';
import { api, line as lineURL } from './api.js';

const kinds = ['visit', 'port-call', 'exercise', 'talks', 'drill'];

// parseTime reads a time as officers write it (2017-03-10T01:00Z, or
// with an offset; without one it is UTC) into ISO form, or throws.
export function parseTime(s, what) {
  s = (s || '').trim();
  if (!s) return undefined;
  const zoned = /([zZ]|[+-]\d\d:?\d\d)$/.test(s) ? s : s + 'Z';
  const d = new Date(zoned);
  if (Number.isNaN(d.getTime())) throw new Error(`${what}: give a time like 2017-03-10T01:00Z`);
  return d.toISOString();
}

async function step(lineId, body, status, done) {
  status.className = '';
  status.textContent = 'Writing…';
  try {
    const r = await api('POST', lineURL(lineId) + '/agenda', body);
    status.textContent = `Written as ${r.entry}: the event is now ${r.event.status}.`;
    status.className = 'ok';
    if (done) done();
  } catch (e) {
    status.textContent = 'Not written: ' + e.message;
    status.className = 'bad';
  }
}

function proposeForm(lineId) {
  const status = el('p', { id: 'agenda-propose-status', role: 'status' });
  const form = el('form', { id: 'agenda-propose', class: 'agenda-propose compose', dataset: { keep: lineId } },
    el('label', {}, 'Kind ', el('select', { name: 'kind', id: 'agenda-kind' }, kinds.map(k => el('option', { value: k, text: k })))),
    el('label', {}, 'Title ', el('input', { name: 'title', id: 'agenda-title', required: true, dir: 'auto' })),
    el('label', {}, 'Start (UTC) ', el('input', { name: 'start', id: 'agenda-start', required: true, placeholder: '2017-03-10T01:00Z' })),
    el('label', {}, 'End (UTC, optional) ', el('input', { name: 'end', id: 'agenda-end', placeholder: '2017-03-10T05:00Z' })),
    el('label', {}, 'Place ', el('input', { name: 'place', id: 'agenda-place', required: true, dir: 'auto' })),
    el('label', {}, 'Participants (; between them) ', el('input', { name: 'participants', id: 'agenda-participants', dir: 'auto' })),
    el('button', { class: 'primary', type: 'submit', id: 'agenda-propose-send', text: 'Propose' }),
    status);
  form.addEventListener('submit', ev => {
    ev.preventDefault();
    const f = form.elements;
    let body;
    try {
      body = {
        action: 'propose', kind: f.kind.value, title: f.title.value.trim(), place: f.place.value.trim(),
        start: parseTime(f.start.value, 'start'), end: parseTime(f.end.value, 'end'),
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
  return utc(ev.start) + (ev.end ? ' to ' + utc(ev.end) : '');
}

function statusChip(s) {
  return el('span', { class: `agenda-status agenda-${s}`, dataset: { status: s }, text: s.toUpperCase() });
}

function history(ev) {
  return el('details', { class: 'agenda-history' },
    el('summary', { text: `History (${ev.history.length} step${ev.history.length === 1 ? '' : 's'})` }),
    el('ol', {}, ev.history.map(c =>
      el('li', { class: c.refused ? 'refused' : '', dataset: { entry: c.entry } },
        el('span', { class: 'time', text: utc(c.time) }), ' · ',
        el('strong', { text: c.party }), c.officer ? [' (', el('span', { text: c.officer }), ')'] : '', ' ',
        el('span', { class: 'agenda-action', text: c.action || '?' }),
        c.start && c.action !== 'confirm' ? ` → ${utc(c.start)}` : '',
        c.reason ? [': ', el('span', { class: 'reason', dir: 'auto', text: c.reason })] : '',
        c.because ? ` (because of ${c.because})` : '',
        ' ', el('code', { text: c.entry }),
        c.refused ? el('div', { class: 'bad', text: 'refused by the rules: ' + c.refused }) : ''))));
}

// actions are the steps an officer may try on ev; the node decides.
function actions(ev, lineId, me) {
  if (!(me.role === 'drafter' || me.role === 'admin')) return '';
  if (ev.status === 'cancelled' || ev.status === 'held') return '';
  const status = el('p', { class: 'agenda-step-status', role: 'status' });
  const to = el('input', { name: 'start', placeholder: '2017-03-12T01:00Z', required: true });
  const postpone = el('form', { id: 'agenda-postpone-' + ev.id, class: 'agenda-inline', hidden: true, dataset: { keep: ev.id } },
    el('label', {}, 'New start (UTC) ', to), el('button', { type: 'submit', text: 'Postpone' }));
  postpone.addEventListener('submit', e => {
    e.preventDefault();
    try {
      step(lineId, { action: 'postpone', event: ev.id, start: parseTime(to.value, 'new start') }, status);
    } catch (err) {
      status.textContent = err.message;
      status.className = 'bad';
    }
  });
  const reason = el('input', { name: 'reason', required: true, dir: 'auto', size: 40 });
  const cancel = el('form', { id: 'agenda-cancel-' + ev.id, class: 'agenda-inline', hidden: true, dataset: { keep: ev.id } },
    el('label', {}, 'Reason ', reason), el('button', { type: 'submit', class: 'reject', text: 'Cancel the event' }));
  cancel.addEventListener('submit', e => {
    e.preventDefault();
    step(lineId, { action: 'cancel', event: ev.id, reason: reason.value.trim() }, status);
  });
  const agreed = (ev.agreed_by || []).includes(me.party);
  return el('div', { class: 'agenda-actions' },
    !agreed ? el('button', { type: 'button', dataset: { act: 'confirm' }, text: 'Confirm',
      onclick: () => step(lineId, { action: 'confirm', event: ev.id }, status) }) : '',
    ev.status === 'confirmed' ? el('button', { type: 'button', dataset: { act: 'held' }, text: 'Held',
      onclick: () => step(lineId, { action: 'held', event: ev.id }, status) }) : '',
    el('button', { type: 'button', dataset: { act: 'postpone' }, text: 'Postpone…', onclick: () => { postpone.hidden = false; to.focus(); } }),
    el('button', { type: 'button', dataset: { act: 'cancel' }, text: 'Cancel…', onclick: () => { cancel.hidden = false; reason.focus(); } }),
    postpone, cancel, status);
}

function event(ev, lineId, me) {
  return el('article', { class: `agenda-event agenda-event-${ev.status}`, dataset: { event: ev.id, status: ev.status } },
    el('header', {}, statusChip(ev.status), ' ',
      el('h3', { class: 'agenda-title', dir: 'auto', text: ev.title }), ' ',
      el('span', { class: 'muted', text: ev.kind })),
    el('dl', { class: 'meta' },
      el('dt', { text: 'When' }), el('dd', { class: 'agenda-when', text: when(ev) }),
      el('dt', { text: 'Place' }), el('dd', { dir: 'auto', text: ev.place }),
      ev.participants && ev.participants.length ? [el('dt', { text: 'Participants' }), el('dd', { dir: 'auto', text: ev.participants.join('; ') })] : [],
      el('dt', { text: 'Proposed by' }), el('dd', {}, el('strong', { text: ev.proposer }), ' in ', el('code', { text: ev.id })),
      ev.status === 'cancelled'
        ? [el('dt', { text: 'Cancelled' }), el('dd', { class: 'agenda-cancellation' }, 'by ', el('strong', { text: ev.cancelled_by }), ': ',
          el('span', { class: 'reason', dir: 'auto', text: ev.reason }), ev.because ? ` (because of ${ev.because})` : '')]
        : [el('dt', { text: 'Agreed by' }), el('dd', { text: (ev.agreed_by || []).join(', ') || '—' })]),
    actions(ev, lineId, me),
    history(ev));
}

// view is the agenda of one line: every event, cancelled ones too, soonest
// first as the node orders them, and the form to propose one.
export function view(events, lineId, me) {
  return el('div', { class: 'agenda' },
    me.role === 'drafter' || me.role === 'admin' ? el('section', { class: 'agenda-new' },
      el('h3', { text: 'Propose an event' }), proposeForm(lineId)) : '',
    events.length ? events.map(ev => event(ev, lineId, me))
      : el('p', { class: 'muted', text: 'No event on this line’s agenda yet.' }));
}
