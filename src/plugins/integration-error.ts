// What a call to an external system (JFrog, GitLab, Jenkins, a notification channel) fails with:
// a stable code a person and the retry logic can act on, and whether trying again may help.
export class IntegrationError extends Error {
  override name = 'IntegrationError';

  constructor(
    /** e.g. JFROG_UNAUTHORIZED, SMTP_REJECTED, WEBHOOK_HTTP_500 — upper snake case. */
    readonly code: string,
    message: string,
    readonly options: { retryable?: boolean; retryAfterMs?: number; status?: number } = {},
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
}
