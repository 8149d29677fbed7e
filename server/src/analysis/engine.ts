/**
 * The pipeline every face drives: text → statements → ASTs → catalog (all files) → rule findings, with
 * configured severities and inline suppressions applied.
 */
import { buildCatalog, type Catalog } from './catalog';
import { DEFAULT_CONFIG, type ResolvedConfig } from './config';
import { ParseCache, ParsedFile } from './parse';
import type { Report, Rule } from './rule';
import { RULES } from './rules/index';
import { findSuppressions } from './suppress';
import type { Finding, Severity } from './types';

export interface SourceFile {
  path: string;
  text: string;
}

export interface FileResult {
  file: ParsedFile;
  findings: Finding[];
}

export interface LintResult {
  catalog: Catalog;
  files: FileResult[];
  /** Rule failures (a bug in pgperf, never in the SQL): the other rules' findings still stand. */
  internalErrors: string[];
}

export function catalogFor(files: readonly ParsedFile[], config: ResolvedConfig = DEFAULT_CONFIG): Catalog {
  return buildCatalog(files, { partitionedTables: config.partitionedTables });
}

/** Parses and lints a set of files as one workspace. */
export function lintSources(sources: readonly SourceFile[], config: ResolvedConfig = DEFAULT_CONFIG, cache?: ParseCache): LintResult {
  const parsed = sources.map((s) => new ParsedFile(s.path, s.text, cache));
  const catalog = catalogFor(parsed, config);
  const internalErrors: string[] = [];
  const files = parsed.map((file) => ({ file, findings: lintFile(file, catalog, config, internalErrors) }));
  return { catalog, files, internalErrors };
}

function severityFor(rule: Rule, config: ResolvedConfig, own?: Severity): Severity | 'off' {
  return config.rules[rule.meta.id] ?? own ?? rule.meta.severity;
}

/** Lints one parsed file against a workspace catalog. */
export function lintFile(
  file: ParsedFile,
  catalog: Catalog,
  config: ResolvedConfig = DEFAULT_CONFIG,
  internalErrors: string[] = [],
): Finding[] {
  return lintFileWithin(file, catalog, config, Infinity, internalErrors).findings;
}

/**
 * Lints one parsed file, stopping the rules once `budgetMs` has passed (the language server's guard against
 * pathological input: the findings so far are kept, `complete` says whether every statement was checked).
 */
export function lintFileWithin(
  file: ParsedFile,
  catalog: Catalog,
  config: ResolvedConfig,
  budgetMs: number,
  internalErrors: string[] = [],
): { findings: Finding[]; complete: boolean } {
  const raw: { finding: Finding; statement: number }[] = [];
  const settings = { tenantColumn: config.tenantColumn };
  const active = RULES.filter((r) => config.rules[r.meta.id] !== 'off');
  const deadline = performance.now() + budgetMs;
  let complete = true;
  for (const statement of file.statements) {
    if (statement.index % 64 === 63 && performance.now() > deadline) {
      complete = false;
      break;
    }
    for (const rule of active) {
      if (!!rule.rejected !== !statement.ast) continue;
      const report = (r: Report) => {
        const severity = severityFor(rule, config, r.severity);
        if (severity === 'off') return;
        raw.push({ finding: makeFinding(file, rule.meta.id, severity, r), statement: statement.index });
      };
      try {
        rule.check({ file, statement, catalog, settings, report });
      } catch (e) {
        internalErrors.push(`${rule.meta.id} failed on ${file.path}:${file.source.positionAt(statement.start).line + 1}: ${(e as Error).stack ?? e}`);
      }
    }
  }
  return { findings: applySuppressions(file, raw, config), complete };
}

function makeFinding(file: ParsedFile, ruleId: string, severity: Severity, r: Report): Finding {
  return {
    ruleId,
    severity,
    message: r.message,
    file: file.path,
    start: r.start,
    end: r.end,
    range: file.source.rangeOf(r.start, r.end),
    fix: r.fix,
  };
}

function applySuppressions(
  file: ParsedFile,
  raw: { finding: Finding; statement: number }[],
  config: ResolvedConfig,
): Finding[] {
  const suppressions = findSuppressions(file);
  if (suppressions.length === 0) return raw.map((r) => r.finding).sort(byPosition);
  const used = suppressions.map(() => new Set<string>());
  const kept: Finding[] = [];
  for (const { finding, statement } of raw) {
    let hidden = false;
    suppressions.forEach((s, i) => {
      if ((s.scope === 'file' || s.scope === statement) && s.rules.includes(finding.ruleId)) {
        used[i].add(finding.ruleId);
        hidden = true;
      }
    });
    if (!hidden) kept.push(finding);
  }
  const unusedLevel = config.rules['unused-suppression'] ?? 'info';
  if (unusedLevel === 'off') return kept;
  const known = new Set(RULES.map((r) => r.meta.id));
  suppressions.forEach((s, i) => {
    const kind = s.scope === 'file' ? 'pgperf-ignore-file' : 'pgperf-ignore';
    const dead: string[] = [];
    for (const id of s.rules) {
      if (!known.has(id)) dead.push(`"${id}" is not a pgperf rule`);
      else if (config.rules[id] !== 'off' && !used[i].has(id)) dead.push(`${id} reports nothing here`);
    }
    if (s.rules.length === 0) dead.push('it names no rule');
    if (dead.length === 0) return;
    const removeAll = dead.length === s.rules.length || s.rules.length === 0;
    kept.push(
      makeFinding(file, 'unused-suppression', unusedLevel, {
        start: s.start,
        end: s.end,
        message: `This ${kind} comment suppresses nothing: ${dead.join('; ')}.`,
        fix: removeAll ? { title: 'Remove the unused suppression', edits: [removalEdit(file.text, s.start, s.end)] } : undefined,
      }),
    );
  });
  return kept.sort(byPosition);
}

const byPosition = (a: Finding, b: Finding) => a.start - b.start || a.ruleId.localeCompare(b.ruleId);

/** Removes a comment, and its whole line when nothing else is on it. */
function removalEdit(text: string, start: number, end: number) {
  let s = start;
  while (s > 0 && (text[s - 1] === ' ' || text[s - 1] === '\t')) s--;
  const lineStart = s === 0 || text[s - 1] === '\n';
  let e = end;
  if (lineStart) {
    if (text[e] === '\r') e++;
    if (text[e] === '\n') e++;
  }
  return { start: s, end: e, newText: '' };
}
