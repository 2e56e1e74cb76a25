// Fake Jenkins for tests: remote API with Basic auth, crumb issuer, buildWithParameters → queue → build.
export { startFakeJenkins, type FakeJenkins, type FakeJenkinsBehaviour, type FakeJenkinsBuild, type FakeJenkinsJob, type FakeJenkinsQueueItem, type FakeJenkinsRequest, type FakeJenkinsResult } from './server.js';
