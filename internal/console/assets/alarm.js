// The FLASH alarm: a banner and a beep, from the moment a FLASH message
// arrives until an officer acknowledges it. The beep is made here with the
// WebAudio API; nothing is loaded.

import { href, tick, firstLine } from './dom.js';
import { t } from './i18n.js';

let audio = null;
let timer = null;
let beeps = 0;
const baseTitle = () => t('page.title');

// unlockAudio must run inside a user gesture (a click, a key): browsers
// keep sound off until the person has interacted with the page.
export function unlockAudio() {
  try {
    if (!audio) audio = new AudioContext();
    if (audio.state === 'suspended') audio.resume();
  } catch (e) {
    audio = null;
  }
}

function beep(freq = 880) {
  if (!audio || audio.state !== 'running') return false;
  const t0 = audio.currentTime + 0.02;
  for (let i = 0; i < 2; i++) {
    const at = t0 + i * 0.3;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = 'square';
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.25, at + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.2);
    osc.connect(gain).connect(audio.destination);
    osc.start(at);
    osc.stop(at + 0.22);
  }
  return true;
}

function ring() {
  const banner = document.getElementById('alarm');
  const ok = beep();
  if (ok) beeps++;
  banner.dataset.sound = ok ? 'on' : 'blocked';
  banner.dataset.beeps = String(beeps);
  document.getElementById('alarm-sound').hidden = ok;
  document.title = (document.title === baseTitle() ? '■ FLASH — ' : '') + baseTitle();
}

// show sets the messages that alarm: FLASH messages from other parties
// that this party has not acknowledged, the oldest owed first. An empty
// list silences the alarm. The banner says who wrote, the first line of
// the text (as text: it is the other party's) and how long is left to
// acknowledge.
export function show(pending) {
  const banner = document.getElementById('alarm');
  if (!pending.length) {
    banner.hidden = true;
    delete banner.dataset.message;
    delete banner.dataset.shownAt;
    clearInterval(timer);
    timer = null;
    document.title = baseTitle();
    return;
  }
  const first = pending[0];
  const who = first.officer ? t('alarm.who_officer', { Party: first.author, Officer: first.officer }) : first.author;
  document.getElementById('alarm-text').textContent = t('alarm.from', { Who: who, Message: first.id });
  const line = firstLine(first.text);
  const text = document.getElementById('alarm-line');
  text.textContent = line;
  text.title = line;
  const due = document.getElementById('alarm-due');
  due.dataset.deadline = first.ackBy || '';
  due.dataset.done = '';
  due.dataset.label = t('due.ack');
  tick(); // the countdown shows now, not at the next second
  document.getElementById('alarm-more').textContent = pending.length > 1 ? t('list.more', { Count: pending.length - 1 }) : '';
  document.getElementById('alarm-open').setAttribute('href', href('message', first.line, first.id));
  banner.dataset.message = first.id;
  // When the banner went up, by the machine's clock: the console benchmark
  // compares it with the node's time of receipt.
  if (banner.hidden) banner.dataset.shownAt = String(Date.now());
  banner.hidden = false;
  if (!timer) {
    ring();
    timer = setInterval(ring, 2000);
  }
}

// escalate sounds the console alarm of an escalation chain's step: a
// lower double beep every four seconds while on is true. It works beside
// the FLASH alarm, which has its own banner.
let escalationTimer = null;
export function escalate(on) {
  if (!on) {
    clearInterval(escalationTimer);
    escalationTimer = null;
    return;
  }
  if (escalationTimer) return;
  const sound = () => {
    const e = document.getElementById('escalation');
    e.dataset.sound = beep(660) ? 'on' : 'blocked';
  };
  sound();
  escalationTimer = setInterval(sound, 4000);
}
