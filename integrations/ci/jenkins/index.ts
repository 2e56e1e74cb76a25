// Jenkins: client (npm `jenkins` through the outbound guard) and triggering a job from the server.
export { JenkinsClient, createJenkinsClient, jenkinsError, type JenkinsBuild, type JenkinsClientOptions, type JenkinsResult, type JenkinsVerification } from './client.js';
export { triggerJenkinsJob, type JenkinsSettings, type JenkinsTriggerContext, type JenkinsTriggerInput, type JenkinsTriggerResult } from './trigger.js';
export { jenkinsConnection } from './connection.js';
