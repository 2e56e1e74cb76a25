// Scan configuration (what pipelines run): per tool its rulesets, thresholds, ignores and extra
// arguments; organisation defaults a project inherits and overrides; rendered as shell commands.
import { z } from 'zod';

export const SCAN_TOOLS = ['bandit', 'dependency-check', 'grype', 'npm-audit', 'osv-scanner', 'semgrep', 'trivy', 'xray'] as const;
export type ScanTool = (typeof SCAN_TOOLS)[number];

const safeArg = z.string().max(500).refine((s) => !/[\n\r\0]/.test(s), 'no newlines');

export const toolConfigSchema = z.strictObject({
  enabled: z.boolean().optional(),
  /** Semgrep configs (rule files or packs), Trivy scanners, … as the tool names them. */
  config: z.array(safeArg).optional(),
  severities: z.array(z.enum(['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'])).optional(),
  ignoreUnfixed: z.boolean().optional(),
  /** Dependency-Check: suppression file path. */
  suppressionFile: safeArg.optional(),
  /** Dependency-Check --failOnCVSS; default 11 (never), so that ScanHub's policy gives the verdict. */
  failOnCvss: z.number().min(0).max(11).optional(),
  timeout: z.string().regex(/^\d+(s|m|h)$/, 'a duration such as 90s, 15m or 1h').optional(),
  args: z.array(safeArg).optional(),
});

export const scanConfigSchema = z.strictObject({
  tools: z.partialRecord(z.enum(SCAN_TOOLS), toolConfigSchema).default({}),
  ignorePaths: z.array(safeArg).optional(),
  /** The image pipelines scan (Trivy, Grype, Xray); absent: the working directory. */
  image: safeArg.optional(),
  /** The GitLab security report schema version exports declare (default 15.2.1). */
  gitlabReportVersion: z.string().regex(/^\d{1,3}\.\d{1,3}\.\d{1,3}$/, 'MAJOR.MINOR.PATCH, e.g. 15.2.1').optional(),
});

export type ToolConfig = z.infer<typeof toolConfigSchema>;
export type ScanConfig = z.infer<typeof scanConfigSchema>;

export const DEFAULT_SCAN_CONFIG: ScanConfig = {
  tools: { semgrep: { enabled: true, config: ['p/default'] }, trivy: { enabled: true, severities: ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] } },
  ignorePaths: ['node_modules', '.git', 'vendor'],
};

/** Project settings over organisation settings over the built-in default, tool by tool. */
export function mergeScanConfig(...layers: (ScanConfig | undefined)[]): ScanConfig {
  const out: ScanConfig = { tools: {} };
  for (const layer of layers) {
    if (!layer) continue;
    for (const [tool, cfg] of Object.entries(layer.tools) as [ScanTool, ToolConfig][]) out.tools[tool] = { ...out.tools[tool], ...cfg };
    if (layer.ignorePaths) out.ignorePaths = layer.ignorePaths;
    if (layer.image) out.image = layer.image;
    if (layer.gitlabReportVersion) out.gitlabReportVersion = layer.gitlabReportVersion;
  }
  return out;
}

/** The report file each tool writes and `scanhub submit` sends. */
export const OUTPUT_FILES: Record<ScanTool, string> = {
  bandit: 'bandit.json',
  'dependency-check': 'dependency-check-report.json',
  grype: 'grype.json',
  'npm-audit': 'npm-audit.json',
  'osv-scanner': 'osv-scanner.json',
  semgrep: 'semgrep.json',
  trivy: 'trivy.json',
  xray: 'xray.json',
};

/** POSIX shell single-quoting: the value is one word, whatever it contains. */
export function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function command(words: (string | undefined | false)[]): string {
  return words.filter((w): w is string => typeof w === 'string' && w !== '').join(' ');
}

export function enabledTools(config: ScanConfig): ScanTool[] {
  return (Object.entries(config.tools) as [ScanTool, ToolConfig][]).filter(([, c]) => c.enabled !== false).map(([t]) => t).sort();
}

export function toolCommand(tool: ScanTool, c: ToolConfig, config: ScanConfig): string {
  const q = shellQuote;
  const out = OUTPUT_FILES[tool];
  const ignores = config.ignorePaths ?? [];
  const extra = (c.args ?? []).map(q);
  const target = config.image;
  switch (tool) {
    case 'semgrep':
      return command(['semgrep scan --metrics=off --json', `--output ${out}`, ...(c.config ?? ['p/default']).map((r) => `--config ${q(r)}`), ...ignores.map((p) => `--exclude ${q(p)}`), c.timeout && `--timeout ${q(String(parseInt(c.timeout, 10)))}`, ...extra, '.']);
    case 'trivy':
      return command([
        target ? 'trivy image' : 'trivy fs',
        '--format json',
        `--output ${out}`,
        c.severities && `--severity ${c.severities.join(',')}`,
        c.ignoreUnfixed && '--ignore-unfixed',
        c.timeout && `--timeout ${c.timeout}`,
        ...ignores.map((p) => `--skip-dirs ${q(p)}`),
        ...extra,
        target ? q(target) : '.',
      ]);
    case 'grype':
      return command(['grype', target ? q(target) : 'dir:.', '-o json', `--file ${out}`, ...ignores.map((p) => `--exclude ${q(`./${p}/**`)}`), ...extra]);
    case 'bandit':
      // Bandit exits 1 when it finds issues: the verdict is ScanHub's, so only exit ≥ 2 fails here.
      return command(['bandit -r . -f json', `-o ${out}`, ignores.length > 0 && `-x ${q(ignores.map((p) => `./${p}`).join(','))}`, ...extra, '|| [ $? -eq 1 ]']);
    case 'dependency-check':
      return command(['dependency-check.sh --scan . --format JSON', `--out ${out}`, `--failOnCVSS ${c.failOnCvss ?? 11}`, c.suppressionFile && `--suppression ${q(c.suppressionFile)}`, ...ignores.map((p) => `--exclude ${q(`**/${p}/**`)}`), ...extra]);
    case 'osv-scanner':
      return command(['osv-scanner scan source -r --format json', `--output ${out}`, ...extra, '. || [ $? -eq 1 ]']);
    case 'npm-audit':
      return command(['npm audit --json', ...extra, `> ${out} || true`]);
    case 'xray':
      return target ? command(['jf docker scan', q(target), '--format json', ...extra, `> ${out}`]) : command(['jf audit --format json', ...extra, `> ${out}`]);
  }
}

/** The commands a pipeline runs, ending with the submission of every report they write. */
export function renderShell(config: ScanConfig, project: string): string {
  const tools = enabledTools(config);
  const lines = ['#!/bin/sh', '# Generated by ScanHub: run the configured scanners, then submit their reports.', 'set -eu'];
  for (const tool of tools) lines.push(toolCommand(tool, config.tools[tool]!, config));
  lines.push(
    command([
      'scanhub submit',
      `--project ${shellQuote(project)}`,
      '--ref "${SCANHUB_REF:-${CI_COMMIT_REF_NAME:-${BRANCH_NAME:-main}}}"',
      ...tools.map((t) => OUTPUT_FILES[t]),
    ]),
  );
  return lines.join('\n') + '\n';
}
