// The retention settings refuse values that would break what they prune under.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/load.js';

describe('retention settings', () => {
  it('keep finished jobs at least a week and submissions\' findings for ever unless told', () => {
    const config = loadConfig({});
    expect(config.jobRetentionDays).toBe(14);
    expect(config.submissionRetentionDays).toBe(0);
    expect(loadConfig({ SCANHUB_JOB_RETENTION: '7', SCANHUB_SUBMISSION_RETENTION: '180' })).toMatchObject({ jobRetentionDays: 7, submissionRetentionDays: 180 });
  });

  it('refuse a job retention shorter than a scheduled pull\'s slot, and a submission retention shorter than a digest period', () => {
    expect(() => loadConfig({ SCANHUB_JOB_RETENTION: '3' })).toThrow(ConfigError);
    expect(() => loadConfig({ SCANHUB_JOB_RETENTION: '3' })).toThrow(/SCANHUB_JOB_RETENTION.*at least 7 days/);
    expect(() => loadConfig({ SCANHUB_SUBMISSION_RETENTION: '10' })).toThrow(/SCANHUB_SUBMISSION_RETENTION.*at least 30 days/);
    expect(() => loadConfig({ SCANHUB_SUBMISSION_RETENTION: '-1' })).toThrow(ConfigError);
  });
});
