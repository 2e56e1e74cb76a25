// GitLab write-back: client (gitbeaker over the guarded transport), the MR note, and publishing a verdict.
export { ACCESS_LEVEL, GitlabClient, REQUIRED_ACCESS_LEVEL, createGitlabClient, type CommitState, type GitlabClientOptions, type GitlabRetryOptions, type GitlabUser, type GitlabVerification, type UpsertNoteResult } from './client.js';
export { MAX_NOTE_LENGTH, MAX_TOP_FINDINGS, escapeMarkdown, isScanhubNote, noteMarker, renderMrNote, type MrNoteData, type NoteFinding, type NoteRule, type VerdictOutcome } from './note.js';
export { commitStateFor, gitlabSettingsFromEnv, publishPendingToGitLab, publishVerdictToGitLab, topFindingsFromVerdict, type VerdictFindingLike, type GitlabPublishContext, type GitlabPublishInput, type GitlabPublishResult, type GitlabSettings } from './publish.js';
export { gitlabConnection } from './connection.js';
