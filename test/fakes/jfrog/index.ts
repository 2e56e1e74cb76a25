// Fake JFrog for tests: Xray REST server (server.ts) and Artifactory webhook sender (webhook.ts).
export { startFakeJfrog, maxInAnyWindow, type FakeJfrog, type FakeJfrogBehaviour, type FakeJfrogOptions, type FakeJfrogState, type FakeScanStatus, type RecordedRequest } from './server.js';
export { artifactoryPushBody, sendArtifactoryWebhook, signArtifactoryBody, type ArtifactoryPushEnvelope, type ArtifactoryPushOptions, type SendWebhookOptions, type SentWebhook } from './webhook.js';
export { corpusDir, xrayCorpusBytes, xrayCorpusJson } from './corpus.js';
