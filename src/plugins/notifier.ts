// The notification channel plugin interface. One folder per channel under integrations/notifiers/<id>/
// exports one NotifierPlugin: its stored settings (connection.ts), how to send a rendered message,
// and a verify() that sends a test message. Rule matching, throttling and the outbox live in src/notify/.
import type { z } from 'zod';
import type { Outbound } from '../security/outbound.js';
import type { ConnectionSpec } from './connection.js';

export interface NotificationAttachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

/** A message already rendered from templates/notifications/<event>/; channels only format and send it. */
export interface NotificationMessage {
  /** e.g. gate.failed, finding.new, digest, test */
  event: string;
  /** One line: email subject, chat title, the start of an SMS. */
  subject: string;
  /** Plain text body (email text part, chat fallback). */
  text: string;
  /** HTML body for email, already escaped by the HTML template engine. */
  html?: string | undefined;
  /** Worst severity involved, for colours and SMS brevity. */
  severity?: 'critical' | 'high' | 'medium' | 'low' | 'info' | undefined;
  /** Short label → value pairs shown as facts/fields (project, verdict, counts…). */
  facts: { label: string; value: string }[];
  /** Link to the report or finding in ScanHub. */
  link?: string | undefined;
  attachments?: NotificationAttachment[] | undefined;
  /** Stable id of this message (outbox id): webhook receivers use it to drop duplicates. */
  id: string;
  /** The event's structured data, sent as-is by the generic webhook. */
  data?: Record<string, unknown> | undefined;
}

export interface DeliveryResult {
  /** The provider's id for the message (SMTP message id, Twilio SID…), when it gives one. */
  providerId?: string | undefined;
}

export interface NotifierContext {
  outbound: Outbound;
  now: () => Date;
}

export interface NotifierPlugin<Config = Record<string, unknown>> {
  readonly kind: 'notifier';
  readonly id: string;
  readonly connection: ConnectionSpec;
  /** Sends or throws IntegrationError (retryable for 429/5xx/network, not for 4xx/auth/bad address). */
  send(config: Config, message: NotificationMessage, ctx: NotifierContext): Promise<DeliveryResult>;
}
