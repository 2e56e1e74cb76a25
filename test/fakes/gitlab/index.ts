// Fake GitLab for tests: REST v4 (notes, commit statuses, pipelines, verify endpoints, 429 on demand).
export { SEED, startFakeGitlab, type FakeGitlab, type FakeGitlabMergeRequest, type FakeGitlabNote, type FakeGitlabPipeline, type FakeGitlabProject, type FakeGitlabRequest, type FakeGitlabState, type FakeGitlabStatus, type FakeGitlabToken, type FakeGitlabUser } from './server.js';
