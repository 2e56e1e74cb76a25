// Process-wide notification settings, set once at start-up (serve) or by a test: the public URL that
// links in messages (reports, acknowledgement) are built on.
export const notificationSettings: { publicUrl?: string | undefined } = {};
