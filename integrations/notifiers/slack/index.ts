// Slack channel: posts a Block Kit message to an incoming webhook. The webhook URL is the
// credential: it never appears in an error message or a log line.
import type { z } from 'zod';
import type { NotificationMessage, NotifierContext, NotifierPlugin } from '../../../src/plugins/notifier.js';
import { postRaw, statusError } from '../http-delivery.js';
import { oneLine, safeLink, truncate } from '../text.js';
import { slackConnection } from './connection.js';

export type SlackConfig = z.output<typeof slackConnection.configSchema>;

/** Slack's limits (Block Kit reference). */
export const SLACK_LIMITS = { header: 150, sectionText: 3000, fieldText: 2000, fields: 10, buttonUrl: 3000 } as const;

export const slackNotifier: NotifierPlugin<SlackConfig> = {
  kind: 'notifier',
  id: 'slack',
  connection: slackConnection,
  async send(config, message, ctx) {
    const body = Buffer.from(JSON.stringify(slackPayload(message)), 'utf8');
    await postJson(config.webhookUrl, body, ctx);
    return {};
  },
};

async function postJson(webhookUrl: string, body: Buffer, ctx: NotifierContext): Promise<void> {
  const response = await postRaw(ctx, { url: webhookUrl, body, headers: { 'Content-Type': 'application/json; charset=utf-8' }, prefix: 'SLACK', target: 'Slack' });
  if (response.status >= 200 && response.status < 300) return;
  throw statusError(response, ctx, { prefix: 'SLACK', target: 'Slack', secrets: [webhookUrl, pathOf(webhookUrl)], hint: slackHint(response.text) });
}

function pathOf(url: string): string | undefined {
  try {
    const path = new URL(url).pathname;
    return path.length > 1 ? path : undefined;
  } catch {
    return undefined;
  }
}

function slackHint(text: string): string | undefined {
  const error = text.trim();
  if (/^(no_service|no_team|team_disabled|invalid_token|no_active_hooks|no_service_id)$/.test(error)) {
    return 'the incoming webhook was removed or disabled: create a new one in Slack and update the channel settings';
  }
  if (/^(channel_not_found|channel_is_archived|posting_to_general_channel_denied|action_prohibited)$/.test(error)) {
    return 'the webhook cannot post to its channel (gone, archived or restricted): check the channel in Slack';
  }
  if (/^(invalid_payload|invalid_blocks|no_text|too_many_attachments|invalid_blocks_format)$/.test(error)) {
    return 'Slack did not accept the message format; please report this as a ScanHub bug';
  }
  return undefined;
}

/** Slack mrkdwn needs only these three escaped; escaping `<` also defuses <!channel> and <url|x>. */
export function escapeMrkdwn(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes and truncates to `max` code points without cutting an entity in half. */
function mrkdwn(value: string, max: number): string {
  const escaped = escapeMrkdwn(value);
  if (Array.from(escaped).length <= max) return escaped;
  let out = '';
  let used = 0;
  for (const point of Array.from(value)) {
    const piece = escapeMrkdwn(point);
    if (used + piece.length > max - 1) break;
    out += piece;
    used += piece.length;
  }
  return `${out}…`;
}

export function slackPayload(message: NotificationMessage): Record<string, unknown> {
  const subject = oneLine(message.subject) || message.event;
  const blocks: Record<string, unknown>[] = [{ type: 'header', text: { type: 'plain_text', text: truncate(subject, SLACK_LIMITS.header), emoji: true } }];
  if (message.text.trim()) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: mrkdwn(message.text.trim(), SLACK_LIMITS.sectionText) } });
  const facts = message.facts.filter((f) => f.label.trim() || f.value.trim());
  if (facts.length > 0) {
    const shown = facts.length > SLACK_LIMITS.fields ? facts.slice(0, SLACK_LIMITS.fields - 1) : facts;
    const fields = shown.map((f) => ({ type: 'mrkdwn', text: mrkdwn(`${oneLine(f.label)}\n${f.value}`, SLACK_LIMITS.fieldText).replace(/^([^\n]*)/, (label) => (label ? `*${label}*` : label)) }));
    if (facts.length > shown.length) fields.push({ type: 'mrkdwn', text: `…and ${facts.length - shown.length} more` });
    blocks.push({ type: 'section', fields });
  }
  const context = [message.severity ? `Severity: *${message.severity}*` : undefined, escapeMrkdwn(oneLine(message.event))].filter(Boolean).join('  ·  ');
  if (context) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: truncate(context, 3000) }] });
  const link = safeLink(message.link);
  if (link && link.length <= SLACK_LIMITS.buttonUrl) {
    blocks.push({ type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in ScanHub' }, url: link }] });
  }
  return {
    // The fallback shown in notifications and by clients without Block Kit.
    text: mrkdwn(subject, SLACK_LIMITS.sectionText),
    blocks,
    unfurl_links: false,
    unfurl_media: false,
  };
}
