// Notification text from templates/notifications/<event>/{subject,text,html}.hbs, each part falling
// back to _default/: HTML through the escaping engine, subject and text through the plain one.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { templatesDir } from '../paths.js';
import type { NotificationMessage } from '../plugins/notifier.js';
import { renderHtml, renderText } from '../reports/engine.js';

export interface MessageContext {
  event: string;
  rule: string;
  headline: string;
  project?: string | undefined;
  ref?: string | undefined;
  summary?: string | undefined;
  count?: number | undefined;
  worst?: string | undefined;
  facts: { label: string; value: string }[];
  findings: { severity: string; ids: string; title: string; where?: string | undefined }[];
  more?: number | undefined;
  link?: string | undefined;
  ackLink?: string | undefined;
  attached?: boolean | undefined;
  [extra: string]: unknown;
}

function part(event: string, name: 'subject' | 'text' | 'html'): string {
  const specific = join('notifications', event, name);
  return existsSync(join(templatesDir, `${specific}.hbs`)) ? specific : join('notifications', '_default', name);
}

export function renderMessage(id: string, ctx: MessageContext, data?: Record<string, unknown>): NotificationMessage {
  const view = { ...ctx, one: ctx.count === 1 };
  const subject = renderText(part(ctx.event, 'subject'), view).replace(/\s+/g, ' ').trim().slice(0, 250);
  return {
    id,
    event: ctx.event,
    subject,
    text: renderText(part(ctx.event, 'text'), view).replace(/\n{3,}/g, '\n\n').trim() + '\n',
    html: renderHtml(part(ctx.event, 'html'), { ...view, subject }),
    severity: (ctx.worst as NotificationMessage['severity']) ?? undefined,
    facts: ctx.facts,
    link: ctx.link,
    data,
  };
}
