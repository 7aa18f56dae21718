// The console's strings, in the officer's language. The node sends a
// catalog (GET /api/catalog, internal/consolei18n): message IDs to go-i18n
// templates whose only actions are variables, {{.Name}}; a message that
// counts has plural forms, chosen by the CLDR rules of the language from
// vars.Count. Every string the page shows comes through t(), or from a
// data-i18n attribute in index.html: the tests hold the catalogs to the
// IDs used here.

let lang = 'en';
let messages = {};
let plural = new Intl.PluralRules('en');

const variable = /\{\{\s*\.(\w+)\s*\}\}/g;

// use takes a catalog ({lang, messages}) and translates the static page.
export function use(catalog) {
  lang = catalog.lang;
  messages = catalog.messages || {};
  plural = new Intl.PluralRules(lang);
  document.documentElement.lang = lang;
  translate(document);
}

// current is the language the page is in.
export const current = () => lang;

// has reports whether the catalog has a message.
export const has = id => Object.hasOwn(messages, id);

function template(id, vars) {
  let m = messages[id];
  if (m === undefined) return id; // shows the ID: the tests keep every ID in every catalog
  if (typeof m === 'object') m = m[plural.select(Number(vars.Count))] ?? m.other;
  return m;
}

// t is the message id in the page's language, its variables filled from
// vars (each as text).
export function t(id, vars = {}) {
  return template(id, vars).replace(variable, (_, k) => String(vars[k] ?? ''));
}

// parts is t for messages that hold elements (a link, a strong word): the
// text around them as strings, the variables that are Nodes as they are.
// The result goes into el() as children, never as markup.
export function parts(id, vars = {}) {
  const out = [];
  const src = template(id, vars);
  let at = 0;
  for (const m of src.matchAll(variable)) {
    out.push(src.slice(at, m.index));
    const v = vars[m[1]];
    out.push(v instanceof Node ? v : String(v ?? ''));
    at = m.index + m[0].length;
  }
  out.push(src.slice(at));
  return out.filter(p => p !== '');
}

// translate fills the static page's strings: data-i18n is an element's
// text, data-i18n-title its title.
export function translate(root) {
  for (const e of root.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
  for (const e of root.querySelectorAll('[data-i18n-title]')) e.title = t(e.dataset.i18nTitle);
}
