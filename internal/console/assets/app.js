// The console page: login, the views behind the #/ routes, live updates
// from the server's event stream, clocks and the FLASH alarm. Each view
// is a module of its own; this one routes, fetches and redraws.

import { el, clear, clock, href, tick } from './dom.js';
import { t, parts, current as currentLang, use as useCatalog } from './i18n.js';
import { api, session, forget, line as lineURL, msg as msgURL } from './api.js';
import * as alarm from './alarm.js';
import { board } from './board.js';
import { list, message, rungOf } from './messages.js';
import { compose } from './compose.js';
import * as drafts from './drafts.js';
import * as proof from './proof.js';
import * as charterview from './charterview.js';
import { account, roleName } from './account.js';
import * as alerts from './alerts.js';
import * as rollcall from './rollcall.js';
import * as linestate from './linestate.js';
import * as agenda from './agenda.js';
import { readerLang } from './notices.js';

const state = { party: null, me: null, lines: [], inbox: {}, pending: [], alerts: [], es: null, shown: '' };
const $ = id => document.getElementById(id);

function route() {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { view: parts[0] || 'board', args: parts.slice(1), query: new URLSearchParams(query || '') };
}

function clocks() {
  const now = new Date();
  $('clock-utc').textContent = clock(now, false) + ' UTC';
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || t('clock.local');
  $('clock-local').textContent = clock(now, true) + ' ' + zone;
}

function live(text, ok) {
  $('live').textContent = text;
  $('live').className = 'live ' + (ok ? 'ok' : 'bad');
}

// Refreshes run one at a time; a change during one runs one more after it.
// The body's data-refreshing says one is running (the console benchmark
// waits for a quiet page).
let refreshing = false;
let again = false;
async function refresh() {
  if (!state.me) return;
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  document.body.dataset.refreshing = 'yes';
  try {
    do {
      again = false;
      await refreshOnce();
    } while (again && state.me);
  } catch (e) {
    if (e.status !== 401) live(t('live.error', { Error: e.message }), false);
  } finally {
    refreshing = false;
    delete document.body.dataset.refreshing;
  }
}

// FLASH messages a change event announced: they alarm at once, before the
// refresh that fetches the inbox has finished (on a long line the fetch
// takes longer than the event). Each remembers how many refreshes had
// begun when it came; a refresh begun after it knows better, as its inbox
// holds the message, acknowledged or not.
const announced = [];
let refreshesBegun = 0;

function announce(ev) {
  if (!state.me) return;
  let data;
  try {
    data = JSON.parse(ev.data);
  } catch (e) {
    return;
  }
  for (const m of data.inbox || []) {
    if (m.precedence !== 'FLASH' || m.author === state.me.party) continue;
    if (announced.some(a => a.line === m.line && a.id === m.id)) continue;
    announced.unshift({ line: m.line, id: m.id, author: m.author, before: refreshesBegun });
  }
  showAlarm();
}

function showAlarm() {
  const extra = announced.filter(a => !state.pending.some(p => p.line === a.line && p.id === a.id));
  alarm.show([...extra, ...state.pending]);
}

async function refreshOnce() {
  const begun = ++refreshesBegun;
  state.lines = await api('GET', '/api/lines');
  const pending = [];
  for (const l of state.lines) {
    const inbox = await api('GET', lineURL(l.id) + '/inbox?limit=50');
    state.inbox[l.id] = inbox;
    for (const m of inbox) {
      const r = rungOf(m, state.me.party);
      if (m.precedence === 'FLASH' && !(r && (r.acknowledged || r.replied))) {
        pending.push({ line: l.id, id: m.id, author: m.author, officer: m.officer, text: m.text_visible, ackBy: r && r.ack_by });
      }
    }
  }
  // The deadline nearest (or most overdue) first: that is the one to act on.
  pending.sort((a, b) => (a.ackBy || '').localeCompare(b.ackBy || ''));
  state.pending = pending;
  for (let i = announced.length - 1; i >= 0; i--) {
    if (announced[i].before < begun) announced.splice(i, 1);
  }
  showAlarm();
  state.alerts = (await api('GET', '/api/alerts')).alerts;
  showAlerts();
  await countDrafts();
  await render(false);
}

// showAlerts fills the alarm area's lines and sound for the alerts whose
// chain has reached a console step, counts the open alerts, and asks for
// our roll-call when one is open.
function showAlerts() {
  alarm.escalate(alerts.banners($('owed'), $('escalation'), state.alerts, state.me, silenceAlert));
  const badge = $('alerts-count');
  badge.textContent = String(state.alerts.length);
  badge.hidden = state.alerts.length === 0;
  rollcall.prompt($('rollcall'), rollcall.owed(state.lines), state.me, answerRollCall);
}

async function silenceAlert(a) {
  try {
    await api('POST', '/api/alerts/' + encodeURIComponent(a.alert.id) + '/silence');
  } catch (e) {
    live(t('live.not_silenced', { Error: e.message }), false);
    return;
  }
  await refresh();
}

// answerRollCall answers, and takes the node's answer (our view after
// it) at once: the prompt goes as soon as the answer is written.
async function answerRollCall(lineId) {
  try {
    const v = await api('POST', lineURL(lineId) + '/rollcall');
    const l = state.lines.find(x => x.id === lineId);
    const i = l ? (l.roll_calls || []).findIndex(r => r.party === v.party) : -1;
    if (i >= 0) l.roll_calls[i] = v;
    rollcall.prompt($('rollcall'), rollcall.owed(state.lines), state.me, answerRollCall);
  } catch (e) {
    live(t('live.rollcall_not_answered', { Error: e.message }), false);
  }
  await refresh();
}

// countDrafts shows a releaser how many drafts wait for release.
async function countDrafts() {
  const badge = $('drafts-count');
  if (!drafts.canRelease(state.me)) {
    badge.hidden = true;
    return;
  }
  let n = 0;
  for (const l of state.lines) n += await drafts.pendingCount(l.id);
  badge.textContent = String(n);
  badge.hidden = n === 0;
}

// lineTabs switches between lines, each with its state, above the header
// of the current line.
function lineTabs(view, current) {
  const head = linestate.header(state.lines.find(l => l.id === current));
  if (state.lines.length < 2) return head;
  return [el('nav', { class: 'line-tabs' }, state.lines.map(l =>
    el('a', { href: href(view, l.id), class: l.id === current ? 'current' : '', dataset: { line: l.id } }, l.title, ' ', linestate.chip(l)))), head];
}

// render draws the current route. A refresh (full false) leaves the
// compose form alone, and redraws other views only if their data changed,
// so a reader's scrolling and selection survive receipts arriving. Only the
// latest render draws: one still fetching for a route the officer has left
// must not draw over the new one.
let renders = 0;
async function render(full) {
  if (!state.me) return;
  const r = route();
  const gen = ++renders; // a later render supersedes this one
  document.querySelectorAll('[data-nav]').forEach(a => a.classList.toggle('current', a.dataset.nav === r.view));
  if (r.view === 'compose' || r.view === 'account') {
    // Forms: drawn once, never redrawn under the officer's typing.
    if (full || state.shown !== r.view) {
      state.shown = r.view;
      const lineId = r.args[0] || (state.lines[0] || {}).id;
      const replyTo = r.query.get('reply_to');
      const original = replyTo ? (state.inbox[lineId] || []).find(m => m.id === replyTo) : undefined;
      clear($('view')).append(r.view === 'compose'
        ? compose(state.lines, lineId, replyTo, state.me, original)
        : account(state.me, languageChanged));
      document.body.dataset.view = r.view;
    }
    return;
  }
  // The proof re-reads and hashes the whole line: only when asked for.
  if (r.view === 'proof' && !full && state.shown.startsWith(location.hash + '\n')) return;
  let data, draw;
  if (r.view === 'message' && r.args.length === 2) {
    data = await api('GET', msgURL(r.args[0], r.args[1]) + '?lang=' + encodeURIComponent(readerLang(state.me)));
    draw = () => el('div', {}, linestate.header(state.lines.find(l => l.id === data.line)),
      message(data, state.me, { ack: () => acknowledge(data), reply: (body, status) => reply(data, body, status) }));
  } else if (r.view === 'drafts' || r.view === 'proof') {
    const lineId = r.args[0] || (state.lines[0] || {}).id;
    if (!lineId) {
      data = [];
      draw = () => el('p', { class: 'muted', text: t('view.no_line') });
    } else if (r.view === 'drafts') {
      data = await drafts.load(lineId, state.me);
      draw = () => el('div', {}, el('h2', { text: t('nav.drafts') }), lineTabs('drafts', lineId),
        drafts.drafts(data, state.me, { release: releaseDraft, reject: rejectDraft }));
    } else {
      const every = r.query.get('every') === '1';
      if (full) clear($('view')).append(el('p', { class: 'muted', id: 'proof-working', text: t('proof.working') }));
      const [pv, cv] = await Promise.all([api('GET', proof.path(lineId, every)), api('GET', charterview.path(lineId))]);
      data = { pv, cv };
      draw = () => el('div', {}, el('h2', { text: t('nav.proof') }), lineTabs('proof', lineId),
        proof.proof(pv, lineId, every, () => render(true).catch(e => live(t('live.error', { Error: e.message }), false))),
        charterview.view(cv));
    }
  } else if (r.view === 'agenda') {
    const lineId = r.args[0] || (state.lines[0] || {}).id;
    data = lineId ? await api('GET', lineURL(lineId) + '/agenda') : [];
    draw = () => el('div', {}, el('h2', { text: t('nav.agenda') }), lineTabs('agenda', lineId),
      lineId ? agenda.view(data, lineId, state.me) : el('p', { class: 'muted', text: t('view.no_line') }));
  } else if (r.view === 'alerts') {
    data = full ? (await api('GET', '/api/alerts')).alerts : state.alerts;
    draw = () => el('div', {}, el('h2', { text: t('nav.alerts') }), alerts.list(data, state.me, silenceAlert));
  } else if (r.view === 'inbox' || r.view === 'outbox') {
    const lineId = r.args[0] || (state.lines[0] || {}).id;
    if (!lineId) {
      data = [];
      draw = () => el('p', { class: 'muted', text: t('view.no_line') });
    } else {
      data = r.view === 'inbox' && !full && state.inbox[lineId]
        ? state.inbox[lineId]
        : await api('GET', lineURL(lineId) + '/' + r.view + '?limit=50');
      draw = () => el('div', {}, el('h2', { text: r.view === 'inbox' ? t('nav.inbox') : t('nav.outbox') }),
        lineTabs(r.view, lineId), list(lineId, data, r.view === 'outbox', state.me));
    }
  } else {
    data = await Promise.all(state.lines.map(l => api('GET', lineURL(l.id) + '/status')));
    draw = () => el('div', {}, el('h2', { text: t('nav.lines') }), board(data));
  }
  if (gen !== renders || !state.me) return; // the route changed while fetching
  const key = location.hash + '\n' + JSON.stringify(data);
  if (!full && key === state.shown) return;
  state.shown = key;
  const scroller = $('message-text');
  const top = scroller ? scroller.scrollTop : 0;
  // A reply being written survives receipts arriving: the new view takes
  // the same form, text and all.
  const writing = $('reply-form');
  const sameMessage = writing && writing.dataset.for === (r.args || []).join('/');
  // So do the other forms being written in a view (data-keep names what
  // they are for): a translation, an agenda step.
  const kept = [...$('view').querySelectorAll('form[data-keep]')];
  clear($('view')).append(draw());
  for (const f of kept) {
    const now = document.getElementById(f.id);
    if (now && now.dataset.keep === f.dataset.keep) now.replaceWith(f);
  }
  if (sameMessage && $('reply-form')) {
    $('reply-form').replaceWith(writing);
    writing.closest('.message-body').classList.toggle('replying', !writing.hidden);
  }
  if ($('message-text')) $('message-text').scrollTop = top;
  document.body.dataset.view = r.view;
  if (r.view === 'message' && data.inbound) markDisplayed(data);
}

// markDisplayed records, once, that a message from another party is on
// screen: reading it wrote nothing. The change it makes comes back as an
// event, which redraws the ladder.
const marking = new Set();
async function markDisplayed(m) {
  const mine = rungOf(m, state.me.party);
  const key = m.line + '/' + m.id;
  if (!mine || mine.displayed || marking.has(key)) return;
  marking.add(key);
  try {
    await api('POST', msgURL(m.line, m.id) + '/displayed');
  } catch (e) {
    live(t('live.display_not_recorded', { Error: e.message }), false);
  } finally {
    marking.delete(key);
  }
}

async function releaseDraft(d, status) {
  status.className = '';
  status.textContent = t('drafts.releasing');
  document.querySelectorAll(`[data-draft="${d.id}"] button`).forEach(b => { b.disabled = true; });
  try {
    const r = await api('POST', lineURL(d.line) + '/drafts/' + d.id + '/release');
    status.replaceChildren(...parts('drafts.released', { Message: el('a', { href: href('message', d.line, r.message), text: r.message }) }));
    status.className = 'ok';
  } catch (e) {
    status.textContent = t('drafts.not_released', { Error: e.message });
    status.className = 'bad';
    document.querySelectorAll(`[data-draft="${d.id}"] button`).forEach(b => { b.disabled = false; });
    return;
  }
  await refresh();
}

async function rejectDraft(d, reason, status) {
  try {
    await api('POST', lineURL(d.line) + '/drafts/' + d.id + '/reject', { reason });
  } catch (e) {
    status.textContent = t('drafts.not_rejected', { Error: e.message });
    status.className = 'bad';
    return;
  }
  await refresh();
}

async function acknowledge(m) {
  const button = $('ack');
  if (button) button.disabled = true;
  try {
    await api('POST', msgURL(m.line, m.id) + '/ack');
  } catch (e) {
    live(t('live.not_acknowledged', { Error: e.message }), false);
    if (button) button.disabled = false;
    return;
  }
  await refresh();
  await render(true);
}

// reply sends a reply to the message m from its view; body has the
// precedence, language, text and key.
async function reply(m, body, status) {
  const button = $('reply-send');
  button.disabled = true;
  status.className = '';
  status.textContent = t('send.sending');
  try {
    const r = await api('POST', msgURL(m.line, m.id) + '/reply', body);
    if (r.draft) {
      status.replaceChildren(...parts('send.draft_saved', { Draft: r.draft.id, Officer: r.officer,
        Needs: el('strong', { text: t('send.needs_release') }) }));
    } else {
      status.replaceChildren(...parts('send.sent_reply', { Message: el('a', { href: href('message', r.line, r.id), text: r.id }), Officer: r.officer }));
    }
    status.className = 'ok';
    $('reply-text').value = '';
    $('reply-form').dataset.key = crypto.randomUUID();
  } catch (e) {
    status.textContent = t('send.not_sent', { Error: e.message });
    status.className = 'bad';
  } finally {
    button.disabled = false;
  }
  await refresh();
}

function connect() {
  if (state.es) state.es.close();
  const es = new EventSource('/api/events');
  state.es = es;
  es.addEventListener('hello', () => { live(t('live.live'), true); refresh(); });
  es.addEventListener('change', ev => {
    announce(ev);
    refresh();
  });
  es.addEventListener('logout', () => loggedOut());
  es.onerror = () => {
    live(t('live.reconnecting'), false);
    if (es.readyState === EventSource.CLOSED) {
      // The server refused the stream: find out whether the session ended.
      setTimeout(() => api('GET', '/api/me').then(() => state.me && connect(), () => {}), 3000);
    }
  };
}

// language takes the catalog of lang; with none, the one the node picks:
// the officer's when logged in, else the party's default.
async function language(lang) {
  useCatalog(await api('GET', '/api/catalog' + (lang ? '?lang=' + encodeURIComponent(lang) : '')));
  partyHeading();
}

// languageChanged redraws the page in the language the officer chose.
function languageChanged(catalog, own) {
  useCatalog(catalog);
  state.me.lang = catalog.lang;
  state.me.own_lang = own;
  labels(state.me);
  render(true).catch(e => live(t('live.error', { Error: e.message }), false));
}

// labels fills the header's strings that hold the officer's name.
function labels(me) {
  $('who').textContent = t('top.who', { Name: me.name, Role: roleName(me.role) });
}

// party learns whose console this is, for the login page.
async function party() {
  try {
    state.party = await api('GET', '/api/party');
  } catch (e) {
    return; // the form works without
  }
  partyHeading();
}

// partyHeading names, on the login page, the party and its lines.
function partyHeading() {
  const p = state.party;
  if (!p) return;
  $('login-party').textContent = t('login.party', { Name: p.name, Party: p.party });
  $('login-lines').replaceChildren(...p.lines.map(l => el('li', { dir: 'auto', text: l.title })));
}

async function begin(me) {
  if (me.lang !== currentLang()) await language(me.lang);
  state.me = me;
  session(me, loggedOut);
  $('login').hidden = true;
  $('top').hidden = false;
  labels(me);
  $('party').textContent = me.party;
  $('nav-compose').hidden = !(me.role === 'drafter' || me.role === 'admin');
  $('nav-drafts').hidden = !drafts.seesDrafts(me);
  connect();
  refresh();
}

function loggedOut() {
  state.me = null;
  state.shown = '';
  state.pending = [];
  announced.length = 0;
  forget();
  if (state.es) state.es.close();
  state.es = null;
  alarm.show([]);
  state.alerts = [];
  alarm.escalate(false);
  alerts.banners($('owed'), $('escalation'), [], null, null);
  rollcall.prompt($('rollcall'), [], null, null);
  $('top').hidden = true;
  clear($('view'));
  $('login').hidden = false;
  $('login-name').focus();
  // Back to the party's language, as the next officer may read another.
  if (state.party && currentLang() !== state.party.lang) language().catch(() => {});
}

async function login(ev) {
  ev.preventDefault();
  alarm.unlockAudio(); // the click that logs in lets the alarm sound
  const err = $('login-error');
  err.textContent = '';
  $('login-submit').disabled = true;
  try {
    const me = await api('POST', '/api/login', { name: $('login-name').value, password: $('login-password').value });
    $('login-password').value = '';
    await begin(me);
  } catch (e) {
    err.textContent = e.message;
  } finally {
    $('login-submit').disabled = false;
  }
}

async function logout() {
  try {
    await api('POST', '/api/logout');
  } finally {
    loggedOut();
  }
}

async function start() {
  try {
    await language();
  } catch (e) {
    // The node did not answer: the page shows its message IDs.
  }
  await party();
  clocks();
  setInterval(() => { clocks(); tick(); }, 1000);
  setInterval(refresh, 30000); // ages on the board; a safety net for the stream
  document.addEventListener('pointerdown', alarm.unlockAudio);
  document.addEventListener('keydown', alarm.unlockAudio);
  window.addEventListener('hashchange', () => render(true).catch(e => live('error: ' + e.message, false)));
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  try {
    await begin(await api('GET', '/api/me'));
  } catch (e) {
    loggedOut();
  }
}

start();
