// Building the page without parsing HTML. Every string goes into the
// document as a text node or an attribute value, never as markup: message
// text comes from another organization and is hostile input.

import { t } from './i18n.js';

export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

// clear empties an element.
export function clear(e) {
  e.replaceChildren();
  return e;
}

// link is a hash link inside the console: parts are encoded, so an ID
// from the other party cannot escape the fragment.
export function href(...parts) {
  return '#/' + parts.map(encodeURIComponent).join('/');
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// utc formats a time as 2026-05-01 03:12:09 UTC; empty for none.
export function utc(when) {
  if (!when) return '';
  const d = new Date(when);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

// clock formats the time of day, in UTC or local time.
export function clock(d, local) {
  if (local) return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

// span formats a duration in ms: 9:42, 1:02:03, 3 d 4 h.
export function span(ms) {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
  if (d > 0) return t('time.days_hours', { Days: d, Hours: h });
  if (h > 0) return `${h}:${pad(m)}:${pad(s % 60)}`;
  return `${m}:${pad(s % 60)}`;
}

// ago says how long ago t was: "12 s ago", "never".
export function ago(when, now = Date.now()) {
  if (!when) return t('time.never');
  const s = Math.max(0, Math.round((now - new Date(when).getTime()) / 1000));
  if (s < 90) return t('time.seconds_ago', { Count: s });
  if (s < 5400) return t('time.minutes_ago', { Count: Math.round(s / 60) });
  if (s < 172800) return t('time.hours_ago', { Count: Math.round(s / 3600) });
  return t('time.days_ago', { Count: Math.round(s / 86400) });
}

// countdown is an element that counts down to deadline until done (the
// time the deadline was met, if it was). label names the deadline while
// it runs (t('due.ack'), "ack due", makes "ack due in 9:58"); past it, it reads
// "OVERDUE by 2:04". tick() updates every one.
export function countdown(deadline, done, label) {
  const e = el('span', { class: 'countdown', dataset: { deadline: deadline || '', done: done || '', label: label || '' } });
  paint(e, Date.now());
  return e;
}

function paint(e, now) {
  const deadline = e.dataset.deadline, done = e.dataset.done;
  if (!deadline) {
    e.textContent = '—';
    e.className = 'countdown';
    return;
  }
  const due = new Date(deadline).getTime();
  if (done) {
    const late = new Date(done).getTime() - due;
    e.textContent = late > 0 ? t('countdown.met_late', { Span: span(late) }) : t('countdown.met');
    e.className = 'countdown ' + (late > 0 ? 'late' : 'met');
    return;
  }
  const left = due - now;
  const label = e.dataset.label;
  e.textContent = left > 0
    ? (label ? t('countdown.label_in', { Label: label, Span: span(left) }) : t('countdown.in', { Span: span(left) }))
    : t('countdown.overdue', { Span: span(left) });
  e.className = 'countdown ' + (left > 0 ? (left < 120000 ? 'soon' : 'due') : 'overdue');
}

export function tick() {
  const now = Date.now();
  for (const e of document.querySelectorAll('.countdown[data-deadline]')) paint(e, now);
}

// cut is a span that shows text on one line, cut with an ellipsis where
// it does not fit, with the whole of it on hover: names and tags from the
// other party may be one unbroken string of any length.
export function cut(text, cls = '') {
  return el('span', { class: ('cut ' + cls).trim(), title: text || undefined, text: text || '' });
}

// firstLine is the first line of a text that has any characters.
export function firstLine(text) {
  return (text || '').split(/\r?\n/).find(l => l.trim() !== '') || '';
}
