// Fake SonarQube for tests: Web API server (server.ts) and analysis-webhook sender (webhook.ts).
export { corpusProjects, startFakeSonarQube, syntheticIssues, type FakeSonarBehaviour, type FakeSonarProject, type FakeSonarQube, type FakeSonarQubeOptions } from './server.js';
export { sendSonarWebhook, signSonarBody, sonarWebhookBody, type SonarWebhookOptions } from './webhook.js';
export { CORPUS, sonarCorpusJson } from './corpus.js';
