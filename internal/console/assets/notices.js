// Formatted notices: a form per template of the line's charter in the
// compose view, and a received notice laid out with the reader's
// language's labels. The node checks a form (the same check as `hotline
// send --template`) before anything is written, and names the field at
// fault: the error is shown next to that field. Labels, help and values
// come from the API already in the reader's language; the page adds no
// rule of its own.

import { el, clear } from './dom.js';
import { api, line as lineURL } from './api.js';
import { t, parts } from './i18n.js';

// readerLang is the language the officer reads in: its own choice when
// the console knows one, else the party's first language.
export function readerLang(me) {
  return (me && (me.lang || (me.langs || [])[0])) || 'en';
}

// What a value of each type looks like, as the node's parser takes it.
const examples = {
  datetime: 'notice.example_datetime',
  position: 'notice.example_position',
  area: 'notice.example_area',
  duration: 'notice.example_duration',
};

function input(f) {
  const id = 'notice-field-' + f.name;
  if (f.type === 'choice') {
    return el('select', { id, name: f.name, class: 'notice-input', dataset: { field: f.name } },
      el('option', { value: '', text: f.required ? t('notice.choose') : t('notice.none') }),
      (f.choices || []).map(c => el('option', { value: c.value, text: c.label || c.value })));
  }
  let hint = examples[f.type] ? t(examples[f.type]) : '';
  if (f.type === 'number' && f.units && f.units.length) hint = t('notice.example_number', { Unit: f.units[0] });
  if (f.type === 'text') {
    return el('textarea', { id, name: f.name, class: 'notice-input', rows: 2, dir: 'auto', dataset: { field: f.name } });
  }
  return el('input', { id, name: f.name, class: 'notice-input', placeholder: hint || undefined, dataset: { field: f.name }, autocomplete: 'off' });
}

function field(f) {
  return el('label', { class: 'notice-field', dataset: { field: f.name } },
    el('span', { class: 'notice-label' }, f.label || f.name, f.required ? el('span', { class: 'required', title: t('notice.required'), text: ' *' }) : ''),
    input(f),
    f.help ? el('span', { class: 'notice-help muted', text: f.help }) : '',
    f.units && f.units.length ? el('span', { class: 'notice-help muted', text: t('notice.units', { Units: f.units.join(', ') }) }) : '',
    el('span', { class: 'field-error', role: 'alert', dataset: { errorFor: f.name } }));
}

// part is the notice part of the compose form: a choice of template (or
// free text) and the chosen template's fields. text is the form's text
// area, needed only for free text.
export function part(lineId, me, text) {
  let templates = [];
  const select = el('select', { id: 'compose-template', name: 'template' });
  const templateError = el('span', { class: 'field-error', role: 'alert', dataset: { errorFor: 'template' } });
  const help = el('p', { class: 'notice-help muted', id: 'notice-help' });
  const fields = el('div', { class: 'notice-fields', id: 'notice-fields' });
  const box = el('div', { class: 'notice wide', id: 'compose-notice' },
    el('label', {}, t('notice.template'), ' ', select, templateError), help, fields);

  const show = () => {
    clearErrors();
    const t = templates.find(x => x.id === select.value);
    clear(fields);
    help.textContent = t ? (t.help || '') : '';
    text.required = !t; // a notice is its fields; a text is optional beside it
    box.classList.toggle('chosen', !!t);
    if (t) fields.append(el('h3', { text: t.label }), ...t.fields.map(field));
  };
  select.addEventListener('change', show);

  async function load(id) {
    templates = [];
    clear(select).append(el('option', { value: '', text: t('notice.free_text') }));
    if (!id) return show();
    try {
      templates = await api('GET', lineURL(id) + '/templates?lang=' + encodeURIComponent(readerLang(me)));
    } catch (e) {
      templates = [];
    }
    select.append(...templates.map(t => el('option', { value: t.id, text: t.label || t.id })));
    box.hidden = templates.length === 0;
    show();
  }

  function clearErrors() {
    box.querySelectorAll('.field-error').forEach(e => { e.textContent = ''; });
    box.querySelectorAll('.invalid').forEach(e => e.classList.remove('invalid'));
  }

  load(lineId);
  return {
    el: box,
    load,
    // body is what the notice adds to a compose request.
    body() {
      if (!select.value) return {};
      const values = {};
      fields.querySelectorAll('.notice-input').forEach(i => { values[i.dataset.field] = i.value; });
      return { template: select.value, fields: values };
    },
    // error shows a refusal next to the field it names, and reports
    // whether it did.
    error(e) {
      clearErrors();
      if (!e || e.code !== 'bad_field' || !e.field) return false;
      const at = box.querySelector(`.field-error[data-error-for="${CSS.escape(e.field)}"]`);
      if (!at) return false;
      at.textContent = e.message;
      const i = box.querySelector(`.notice-input[data-field="${CSS.escape(e.field)}"]`);
      if (i) {
        i.classList.add('invalid');
        i.setAttribute('aria-invalid', 'true');
        i.focus();
      }
      return true;
    },
    clearErrors,
    // reset empties the fields after a notice is sent.
    reset() {
      fields.querySelectorAll('.notice-input').forEach(i => { i.value = ''; });
    },
  };
}

// view is a received notice: its template's name and its fields, labelled
// in the reader's language, with the values as sent.
export function view(m) {
  if (!m.form_rows || !m.form_rows.length) return '';
  return el('section', { class: 'notice-view', id: 'message-notice' },
    el('h3', {}, ...parts('notice.title', { Title: el('span', { class: 'notice-title', text: m.form_title || '' }) })),
    m.form_error ? el('p', { class: 'bad', text: t('notice.form_error', { Error: m.form_error }) }) : '',
    el('table', { class: 'notice-rows' },
      el('tbody', {}, m.form_rows.map(r =>
        el('tr', { dataset: { field: r.name } },
          el('th', { scope: 'row', text: r.label }),
          el('td', { dir: 'auto' }, el('span', { class: 'notice-value', text: r.shown }),
            r.shown !== r.value ? el('span', { class: 'muted', text: ` (${r.value})` }) : ''))))));
}
