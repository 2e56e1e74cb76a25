// Microsoft Teams channel: posts a message with one Adaptive Card to an incoming webhook (a Teams
// Workflows "post to a channel when a webhook request is received" URL, or a legacy connector URL).
// The webhook URL is the credential: it never appears in an error message or a log line.
import type { z } from 'zod';
import type { NotificationMessage, NotifierPlugin } from '../../../src/plugins/notifier.js';
import { postRaw, statusError, type RawResponse } from '../http-delivery.js';
import { oneLine, safeLink, truncate } from '../text.js';
import { teamsConnection } from './connection.js';

export type TeamsConfig = z.output<typeof teamsConnection.configSchema>;

/** Teams refuses messages over about 28 KB; stay below with room for the envelope. */
export const TEAMS_MAX_BYTES = 27 * 1024;

export const teamsNotifier: NotifierPlugin<TeamsConfig> = {
  kind: 'notifier',
  id: 'teams',
  connection: teamsConnection,
  async send(config, message, ctx) {
    const body = teamsBody(message);
    const secrets = [config.webhookUrl, pathOf(config.webhookUrl)];
    let response = await postRaw(ctx, { url: config.webhookUrl, body, headers: { 'Content-Type': 'application/json; charset=utf-8' }, prefix: 'TEAMS', target: 'Microsoft Teams' });
    if (response.status >= 200 && response.status < 300) {
      // The legacy connector answers 200 with an error text when Teams itself refused the post.
      const embedded = /returned HTTP error (\d{3})/i.exec(response.text);
      if (!embedded && !/delivery failed/i.test(response.text)) return {};
      response = { ...response, status: embedded ? Number(embedded[1]) : 400 };
    }
    throw statusError(response, ctx, { prefix: 'TEAMS', target: 'Microsoft Teams', secrets, hint: teamsHint(response) });
  },
};

function pathOf(url: string): string | undefined {
  try {
    const { pathname, search } = new URL(url);
    return pathname.length > 1 ? pathname + search : undefined;
  } catch {
    return undefined;
  }
}

function teamsHint(response: RawResponse): string | undefined {
  switch (response.status) {
    case 400:
      return 'Teams did not accept the card; please report this as a ScanHub bug';
    case 401:
    case 403:
      return 'the webhook is no longer allowed to post (workflow owner or channel permissions changed): check the workflow in Teams';
    case 404:
    case 410:
      return 'the webhook was deleted or its URL changed: create a new one in Teams and update the channel settings';
    case 413:
      return 'the message is too large for Teams';
    default:
      return undefined;
  }
}

const SEVERITY_COLOR: Record<string, string> = { critical: 'Attention', high: 'Attention', medium: 'Warning', low: 'Default', info: 'Default' };

/** The message, serialized once; shrunk when Teams' size limit would be exceeded. */
export function teamsBody(message: NotificationMessage): Buffer {
  let body = Buffer.from(JSON.stringify(teamsPayload(message, { text: 10_000, fact: 1_000 })), 'utf8');
  if (body.length > TEAMS_MAX_BYTES) body = Buffer.from(JSON.stringify(teamsPayload(message, { text: 2_000, fact: 200 })), 'utf8');
  return body;
}

export function teamsPayload(message: NotificationMessage, limits = { text: 10_000, fact: 1_000 }): Record<string, unknown> {
  const title = truncate(oneLine(message.subject) || message.event, 500);
  const body: Record<string, unknown>[] = [
    { type: 'TextBlock', text: title, size: 'Large', weight: 'Bolder', wrap: true, style: 'heading', color: SEVERITY_COLOR[message.severity ?? 'info'] ?? 'Default' },
  ];
  if (message.text.trim()) body.push({ type: 'TextBlock', text: truncate(message.text.trim(), limits.text), wrap: true });
  const facts = [...(message.severity ? [{ label: 'Severity', value: message.severity }] : []), ...message.facts]
    .filter((f) => f.label.trim() || f.value.trim())
    .slice(0, 20)
    .map((f) => ({ title: truncate(oneLine(f.label), 200), value: truncate(f.value, limits.fact) }));
  if (facts.length > 0) body.push({ type: 'FactSet', facts });
  const link = safeLink(message.link);
  const content: Record<string, unknown> = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    ...(link ? { actions: [{ type: 'Action.OpenUrl', title: 'Open in ScanHub', url: link }] } : {}),
    msteams: { width: 'Full' },
  };
  return {
    type: 'message',
    // Shown in notifications and by clients that cannot render the card.
    summary: truncate(title, 150),
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }],
  };
}
