// Talking to the console's JSON API (docs/api.md). Every request carries
// the CSRF token in a header; the server checks it on every route that
// changes state. An error reads in the officer's language: the message
// of its code (api.CODE in the catalogs), with the node's own words as
// its detail.

import { t, has } from './i18n.js';

let csrfCookie = '';
let csrfToken = '';
let onUnauthorized = () => {};

export class ApiError extends Error {
  constructor(status, code, message, retryAfter) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

// session remembers where the CSRF token is (from /api/me or the login).
export function session(me, unauthorized) {
  csrfCookie = me.csrf_cookie || '';
  csrfToken = me.csrf || '';
  if (unauthorized) onUnauthorized = unauthorized;
}

export function forget() {
  csrfCookie = '';
  csrfToken = '';
}

function csrf() {
  for (const c of document.cookie.split(';')) {
    const i = c.indexOf('=');
    if (i > 0 && c.slice(0, i).trim() === csrfCookie) return decodeURIComponent(c.slice(i + 1).trim());
  }
  return csrfToken;
}

export async function api(method, path, body) {
  const headers = { 'Accept': 'application/json' };
  const token = csrf();
  if (token) headers['X-CSRF-Token'] = token;
  const opts = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let r;
  try {
    r = await fetch(path, opts);
  } catch (e) {
    throw new ApiError(0, 'network', t('net.unreachable', { Error: e.message }));
  }
  let data = null;
  try {
    data = await r.json();
  } catch (e) {
    data = null;
  }
  if (!r.ok) {
    const code = data && data.code;
    const detail = (data && data.error) || r.statusText;
    const retryAfter = Number(r.headers.get('Retry-After') || 0);
    const text = code && has('api.' + code) ? t('api.' + code, { Detail: detail, Seconds: retryAfter }) : detail;
    const err = new ApiError(r.status, code, text, retryAfter);
    err.field = data && data.field; // the field of a form the server refused
    if (r.status === 401 && path !== '/api/login') onUnauthorized(err);
    throw err;
  }
  return data;
}

export const line = id => '/api/lines/' + encodeURIComponent(id);
export const msg = (l, id) => line(l) + '/messages/' + encodeURIComponent(id);
