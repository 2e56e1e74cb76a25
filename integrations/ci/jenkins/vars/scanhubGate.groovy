// Shared-library step: `scanhubGate()` in any pipeline, after the build.
//
//   @Library('platform-ci') _
//   pipeline { agent any; stages { stage('Security') { steps { scanhubGate(url: 'https://scanhub.example.com') } } } }
//
// Put this file in your shared library repository as vars/scanhubGate.groovy. Options (all optional):
//   url            ScanHub base URL (default: env.SCANHUB_URL)
//   credentialsId  Secret-text credential with a ScanHub "ci" token (default 'scanhub-token')
//   project        ScanHub project (default: SCANHUB_PROJECT, else the job name without the branch)
//   run            run the configured scanners installed on the agent first (default true)
//   reports        report files to submit instead of the configured output files (list)
//   args           extra `scanhub ci` arguments, e.g. '--timeout 600'
//   cli            how to call the CLI (default 'npx --yes scanhub')
// Verdict → result: pass SUCCESS, warn UNSTABLE, fail FAILURE, could not assess FAILURE with the reason.
def call(Map config = [:]) {
  def credentialsId = config.credentialsId ?: 'scanhub-token'
  def envs = [
    "SCANHUB_CLI=${config.cli ?: 'npx --yes scanhub'}",
    "SCANHUB_GATE_RUN=${config.get('run', true) ? '--run' : ''}",
    "SCANHUB_GATE_ARGS=${config.args ?: ''}",
    "SCANHUB_GATE_REPORTS=${(config.reports ?: []).join(' ')}",
  ]
  if (config.url) envs << "SCANHUB_URL=${config.url}"
  if (config.project) envs << "SCANHUB_PROJECT=${config.project}"
  def rc
  try {
    withEnv(envs) {
      withCredentials([string(credentialsId: credentialsId, variable: 'SCANHUB_TOKEN')]) {
        // Values reach the shell as environment variables, never spliced into the script text.
        rc = sh(returnStatus: true, script: '''
          $SCANHUB_CLI ci $SCANHUB_GATE_RUN --warn-exit-code 10 \
            --junit scanhub-junit.xml --sarif scanhub.sarif --html scanhub-report.html \
            $SCANHUB_GATE_ARGS $SCANHUB_GATE_REPORTS 2> scanhub-stderr.txt
          rc=$?
          cat scanhub-stderr.txt >&2
          exit $rc
        ''')
      }
    }
  } finally {
    junit testResults: 'scanhub-junit.xml', allowEmptyResults: true
    if (fileExists('scanhub.sarif')) {
      recordIssues enabledForFailure: true, tools: [sarif(pattern: 'scanhub.sarif', id: 'scanhub', name: 'ScanHub')]
    }
    archiveArtifacts artifacts: 'scanhub-report.html, scanhub.sarif, scanhub-junit.xml', allowEmptyArchive: true, fingerprint: true
  }
  def reason = fileExists('scanhub-stderr.txt') ? readFile('scanhub-stderr.txt').trim().readLines().findAll { it.startsWith('scanhub: ') }.join('; ') : ''
  if (rc == 10) {
    unstable('ScanHub: WARN (see the ScanHub report)')
  } else if (rc == 1) {
    error('ScanHub: FAIL: the security policy failed (see the ScanHub report and the test results)')
  } else if (rc == 2) {
    error("ScanHub: the gate is misconfigured: ${reason}")
  } else if (rc != 0) {
    error("ScanHub could not assess this build (exit ${rc}): ${reason}")
  }
  return rc
}
