// Fake Nexus IQ Server for tests: REST (server.ts), webhook sender (webhook.ts), corpus reader.
export { policyReportFor, startFakeNexusIq, type FakeIqApplication, type FakeIqBehaviour, type FakeIqOptions, type FakeNexusIq } from './server.js';
export { sendIqWebhook, signIqBody, type SendIqWebhookOptions } from './webhook.js';
export { IQ_CORPUS, iqCorpusJson } from './corpus.js';
