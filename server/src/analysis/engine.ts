/**
 * The pipeline every face drives: text → statements → ASTs → catalog (all files) → rule findings, with
 * configured severities and inline suppressions applied.
 */
import { buildCatalog, type Catalog } from './catalog';
import { DEFAULT_CONFIG, type ResolvedConfig } from './config';
import { ParseCache, ParsedFile, type DeferredParseResult, type Statement } from './parse';
import { applyEdits } from './fix';
import { sqlParses } from './pg';
import { ruleLevel, type Report, type Rule, type RuleContext } from './rule';
import { RULES } from './rules/index';
import { covers, findSuppressions } from './suppress';
import type { Finding, Fix, Severity } from './types';

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
  // Without a cache, identical statement texts (common in migrations and test scripts) are parsed once per run.
  const memo = cache ? undefined : new Map<string, DeferredParseResult>();
  const parsed = sources.map((s) => new ParsedFile(s.path, s.text, cache, memo, { templates: config.templates, embedded: config.embedded }));
  const catalog = catalogFor(parsed, config);
  const internalErrors: string[] = [];
  const files = parsed.map((file) => ({ file, findings: lintFile(file, catalog, config, internalErrors) }));
  return { catalog, files, internalErrors };
}

function severityFor(rule: Rule, config: ResolvedConfig, own?: Severity): Severity | 'off' {
  return ruleLevel(rule.meta, config.rules, own);
}

/** Lints one parsed file against a workspace catalog. */
function lintFile(file: ParsedFile, catalog: Catalog, config: ResolvedConfig = DEFAULT_CONFIG, internalErrors: string[] = []): Finding[] {
  return lintFileWithin(file, catalog, config, Infinity, internalErrors).findings;
}

/**
 * Lints one parsed file, stopping the rules once `budgetMs` has passed (the language server's guard against
 * pathological input: the findings so far are kept, `complete` says whether every statement was checked).
 */
function lintFileWithin(
  file: ParsedFile,
  catalog: Catalog,
  config: ResolvedConfig,
  budgetMs: number,
  internalErrors: string[] = [],
): { findings: Finding[]; complete: boolean } {
  const steps = lintFileSteps(file, catalog, config, budgetMs, Infinity, internalErrors);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/**
 * The same, as steps: it yields whenever `sliceMs` has passed since it started or last resumed, so that a
 * caller on an event loop can serve other work in between (and drop the rest when a newer edit arrives).
 */
export function* lintFileSteps(
  file: ParsedFile,
  catalog: Catalog,
  config: ResolvedConfig,
  budgetMs: number,
  sliceMs: number,
  internalErrors: string[] = [],
  memo?: FindingMemo,
): Generator<void, { findings: Finding[]; complete: boolean }> {
  const raw: { finding: Finding; statement: number }[] = [];
  const settings = { tenantColumn: config.tenantColumn };
  // The statement being checked and where its local rules' reports are recorded for the memo. Each rule gets one
  // context (and report function) for the whole file, pointed at the current statement before each check: a
  // file has tens of thousands of statement × rule checks, which then allocate nothing when they find nothing.
  let statement!: Statement;
  let record: MemoReport[] | undefined;
  const prepare = (rule: Rule, local: boolean) => {
    const ctx: RuleContext = {
      file,
      statement: undefined as unknown as Statement,
      catalog,
      settings,
      report: (r: Report) => {
        const severity = severityFor(rule, config, r.severity);
        if (severity === 'off') return;
        // Recorded before the host filter: the same statement text elsewhere may have its holes elsewhere.
        if (local) record?.push({ rule, report: r, base: statement.start });
        if (file.host && !hostMayReport(file, rule, r)) return;
        raw.push({ finding: makeFinding(file, rule.meta.id, severity, r, statement), statement: statement.index });
      },
    };
    return { rule, ctx };
  };
  const active = RULES.filter((r) => ruleLevel(r.meta, config.rules) !== 'off');
  const local = active.filter((r) => !r.crossStatement).map((r) => prepare(r, true));
  const cross = active.filter((r) => r.crossStatement).map((r) => prepare(r, false));
  const run = ({ rule, ctx }: { rule: Rule; ctx: RuleContext }) => {
    if (!!rule.rejected !== !statement.hasAst) return;
    ctx.statement = statement;
    try {
      rule.check(ctx);
    } catch (e) {
      internalErrors.push(`${rule.meta.id} failed on ${file.path}:${file.lineOf(statement.start)}: ${(e as Error).stack ?? e}`);
    }
  };
  memo?.use(catalog, config);
  let spent = 0;
  let sliceStart = performance.now();
  let complete = true;
  // Indexed loops: in a generator, for-of allocates an iterator result per step.
  const statements = file.statements;
  for (let s = 0; s < statements.length; s++) {
    const st = statements[s];
    if (st.index % 16 === 15) {
      const now = performance.now();
      if (spent + (now - sliceStart) > budgetMs) {
        complete = false;
        break;
      }
      if (now - sliceStart > sliceMs) {
        spent += now - sliceStart;
        yield;
        sliceStart = performance.now();
      }
    }
    statement = st;
    const cached = memo?.get(statement);
    if (cached) {
      for (const m of cached) {
        const shifted = shiftReport(m.report, statement.start - m.base);
        if (file.host && !hostMayReport(file, m.rule, shifted)) continue;
        raw.push({
          finding: makeFinding(file, m.rule.meta.id, severityFor(m.rule, config, shifted.severity) as Severity, shifted, statement),
          statement: statement.index,
        });
      }
    } else {
      record = memo ? [] : undefined;
      for (let i = 0; i < local.length; i++) run(local[i]);
      if (memo && record) memo.set(statement, record);
    }
    record = undefined;
    for (let i = 0; i < cross.length; i++) run(cross[i]);
  }
  return { findings: applySuppressions(file, raw, config), complete };
}

interface MemoReport {
  rule: Rule;
  report: Report;
  /** The statement's start when the report was made: its offsets move with the statement. */
  base: number;
}

/**
 * Findings of the statement-local rules by statement text, for one catalog and configuration: an edit re-runs
 * the rules only on the statements whose text changed (the language server keeps one per workspace).
 */
export class FindingMemo {
  private readonly entries = new Map<string, MemoReport[]>();
  private catalog: Catalog | undefined;
  private config: ResolvedConfig | undefined;

  constructor(private readonly capacity = 20_000) {}

  /** Forgets everything when the catalog or the configuration is not the one the memo was filled with. */
  use(catalog: Catalog, config: ResolvedConfig): void {
    if (catalog === this.catalog && config === this.config) return;
    this.entries.clear();
    this.catalog = catalog;
    this.config = config;
  }

  private key(st: Statement): string {
    return `${st.searchPath.join(',')}\u0000${st.text}`;
  }

  get(st: Statement): MemoReport[] | undefined {
    return this.entries.get(this.key(st));
  }

  set(st: Statement, reports: MemoReport[]): void {
    const key = this.key(st);
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, reports);
  }
}

/** A report made for the same statement text at another offset, moved by `delta`. */
function shiftReport(r: Report, delta: number): Report {
  if (delta === 0) return r;
  const move = (f: Fix | undefined): Fix | undefined =>
    f && { title: f.title, edits: f.edits.map((e) => ({ start: e.start + delta, end: e.end + delta, newText: e.newText })) };
  const fix = r.fix;
  return {
    ...r,
    start: r.start + delta,
    end: r.end + delta,
    fix: typeof fix === 'function' ? () => move(fix()) : move(fix),
  };
}

/**
 * In a host file, a report on a name built by host code is about code pgperf cannot see (`FROM ${table}`), and a
 * syntax error in a string whose holes read neither as names nor as values (`VALUES ${rows}`) may be theirs.
 */
function hostMayReport(file: ParsedFile, rule: Rule, r: Report): boolean {
  const host = file.host!;
  if (rule.rejected) return !host.holesUnreadable(r.start);
  return !host.aboutHostCode(r.start, r.end);
}

/**
 * A finding in document coordinates. `r` is in SQL-view offsets, unless `inDocument` (a host comment's
 * suppression, found in the host text).
 */
function makeFinding(file: ParsedFile, ruleId: string, severity: Severity, r: Report, statement?: Statement, inDocument = false): Finding {
  const at = inDocument || !file.host ? { start: r.start, end: r.end } : file.host.toDocument(r.start, r.end);
  const finding: Finding = {
    ruleId,
    severity,
    message: file.host && !inDocument ? file.host.messageText(r.message, r.start) : r.message,
    file: file.path,
    start: at.start,
    end: at.end,
    range: file.document.rangeOf(at.start, at.end),
  };
  const fix = r.fix;
  if (fix) {
    // Computed and checked on first use: most runs (the CLI's text output, diagnostics) never read a fix.
    let value: Fix | undefined | null = null;
    Object.defineProperty(finding, 'fix', {
      enumerable: true,
      configurable: true,
      get: () => {
        if (value === null) {
          const checked = checkedFix(typeof fix === 'function' ? fix() : fix, statement);
          value = checked && file.host && !inDocument ? file.host.hostFix(checked) : checked;
        }
        return value;
      },
    });
  }
  return finding;
}

/**
 * A fix is offered only if the statement it edits still parses afterwards: the net under every rule's
 * rewriting (a range that fell short, an unusual construct) so that a quick fix never produces broken SQL.
 */
export function checkedFix(fix: Fix | undefined, statement: Statement | undefined): Fix | undefined {
  if (!fix || fix.edits.length === 0) return undefined;
  if (!statement) return fix;
  const inside = fix.edits.every((e) => e.start >= statement.start && e.end <= statement.end);
  if (!inside) return fix;
  const local = fix.edits.map((e) => ({ start: e.start - statement.start, end: e.end - statement.start, newText: e.newText }));
  return sqlParses(applyEdits(statement.text, local)) ? fix : undefined;
}

function applySuppressions(file: ParsedFile, raw: { finding: Finding; statement: number }[], config: ResolvedConfig): Finding[] {
  const suppressions = findSuppressions(file);
  if (suppressions.length === 0) return raw.map((r) => r.finding).sort(byPosition);
  const used = suppressions.map(() => new Set<string>());
  const kept: Finding[] = [];
  for (const { finding, statement } of raw) {
    let hidden = false;
    const st = file.statements[statement];
    suppressions.forEach((s, i) => {
      if (covers(s, st) && s.rules.includes(finding.ruleId)) {
        used[i].add(finding.ruleId);
        hidden = true;
      }
    });
    if (!hidden) kept.push(finding);
  }
  const unusedLevel = config.rules['unused-suppression'] ?? 'info';
  if (unusedLevel === 'off') return kept;
  const known = new Map(RULES.map((r) => [r.meta.id, r] as const));
  suppressions.forEach((s, i) => {
    const kind = s.scope === 'file' ? 'pgperf-ignore-file' : 'pgperf-ignore';
    const dead: string[] = [];
    for (const id of s.rules) {
      if (!known.has(id)) dead.push(`"${id}" is not a pgperf rule`);
      else if (ruleLevel(known.get(id)!.meta, config.rules) !== 'off' && !used[i].has(id)) dead.push(`${id} reports nothing here`);
    }
    if (s.rules.length === 0) dead.push('it names no rule');
    if (dead.length === 0) return;
    const removeAll = dead.length === s.rules.length || s.rules.length === 0;
    kept.push(
      makeFinding(
        file,
        'unused-suppression',
        unusedLevel,
        {
          start: s.start,
          end: s.end,
          message: `This ${kind} comment suppresses nothing: ${dead.join('; ')}.`,
          fix: removeAll
            ? { title: 'Remove the unused suppression', edits: [removalEdit(s.inDocument ? file.document.text : file.text, s.start, s.end)] }
            : undefined,
        },
        undefined,
        s.inDocument,
      ),
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
