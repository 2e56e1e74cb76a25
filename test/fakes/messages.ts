// Messages the channel tests share: one ordinary, one hostile (quotes, markup, backslashes,
// newlines, emoji and mention syntax in a finding title).
import type { NotificationMessage } from '../../src/plugins/notifier.js';

export const HOSTILE_SUBJECT = 'New critical: "quoted" <script>alert(1)</script> C:\\path\\to\\file \\" line1\nline2\r\n🚨🔥 & <!channel> <https://evil.example|click>';

export function testMessage(overrides: Partial<NotificationMessage> = {}): NotificationMessage {
  return {
    id: 'outbox-42',
    event: 'finding.new',
    subject: 'New critical finding in shop-python',
    text: 'CVE-2024-0001 in requests 2.19.0\nFix: upgrade to 2.32.0',
    severity: 'critical',
    facts: [
      { label: 'Project', value: 'shop-python' },
      { label: 'Findings', value: '3 new' },
    ],
    link: 'https://scanhub.example/projects/shop-python/findings?severity=critical',
    data: { project: 'shop-python', counts: { critical: 1, high: 2 } },
    ...overrides,
  };
}

export function hostileMessage(): NotificationMessage {
  return testMessage({
    subject: HOSTILE_SUBJECT,
    text: `${HOSTILE_SUBJECT}\nmore: <b>bold</b> \u0000 \u2028 end`,
    facts: [{ label: 'Title <script>', value: 'a "b" \\ c\n<img src=x onerror=alert(1)> 😀' }],
    data: { title: HOSTILE_SUBJECT, nested: { list: ['<script>', '\\', '"'] } },
  });
}
