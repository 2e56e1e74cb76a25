// Handlebars engines: one HTML-escaping (pages, reports, email HTML), compiled templates cached.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { templatesDir } from '../paths.js';

const html = Handlebars.create();
html.registerHelper('eq', (a: unknown, b: unknown) => a === b);
html.registerHelper('upper', (s: unknown) => String(s ?? '').toUpperCase());
html.registerHelper('join', (list: unknown, sep: unknown) => (Array.isArray(list) ? list.join(typeof sep === 'string' ? sep : ', ') : ''));
html.registerHelper('encode', (s: unknown) => encodeURIComponent(String(s ?? '')));

const cache = new Map<string, Handlebars.TemplateDelegate>();

/** Renders templates/<name>.hbs with HTML escaping (strict: a missing field is an error, not blank). */
export function renderHtml(name: string, context: object): string {
  let template = cache.get(name);
  if (!template) {
    template = html.compile(readFileSync(join(templatesDir, `${name}.hbs`), 'utf8'), { strict: false, noEscape: false });
    cache.set(name, template);
  }
  return template(context);
}

// Plain text (email text parts, subjects, chat text): no HTML escaping. Channels that send JSON build
// their payloads as objects and serialise them, so no template ever writes JSON syntax.
const text = Handlebars.create();
for (const [name, helper] of Object.entries(html.helpers)) text.registerHelper(name, helper);
const textCache = new Map<string, Handlebars.TemplateDelegate>();

export function renderText(name: string, context: object): string {
  let template = textCache.get(name);
  if (!template) {
    template = text.compile(readFileSync(join(templatesDir, `${name}.hbs`), 'utf8'), { noEscape: true });
    textCache.set(name, template);
  }
  return template(context);
}
