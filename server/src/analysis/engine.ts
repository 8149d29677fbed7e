/**
 * The pipeline every face drives: text → statements → ASTs → catalog (all files) → rule findings, with
 * configured severities and inline suppressions applied.
 */
import { buildCatalog, type Catalog } from './catalog';
import { DEFAULT_CONFIG, type ResolvedConfig } from './config';
import { ParseCache, ParsedFile, type DeferredParseResult, type Statement } from './parse';
import { applyEdits } from './fix';
import { sqlParses } from './pg';
import { messageOf, ruleLevel } from './rule';
import type { FileRule, FileRuleContext, Report, Rule, RuleContext, RuleSettings, StatementRule, SuppressionUse } from './rule';
import { RULES } from './rules/index';
import { covers, findSuppressions, type Suppression } from './suppress';
import type { Finding, Fix, Severity } from './types';
import { Attached } from './attached';

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

/** What a lint computes besides the findings. */
export interface LintOptions {
  /**
   * Which findings carry their checked fix: all (true, the default), none (false), or those a filter selects (the
   * language server's code actions: the findings of the rules under the cursor). A fix is checked by parsing the
   * edited statement (and, in a host file, the edited host file), so a caller that never reads fixes (text output,
   * diagnostics) passes false and the lint parses nothing more than the files.
   */
  fixes?: boolean | ((finding: Finding) => boolean);
}

/** Parses and lints a set of files as one workspace. */
export function lintSources(
  sources: readonly SourceFile[],
  config: ResolvedConfig = DEFAULT_CONFIG,
  cache?: ParseCache,
  options: LintOptions = {},
): LintResult {
  // Without a cache, identical statement texts (common in migrations and test scripts) are parsed once per run.
  const memo = cache ? undefined : new Map<string, DeferredParseResult>();
  const parsed = sources.map((s) => new ParsedFile(s.path, s.text, cache, memo, { templates: config.templates, embedded: config.embedded }));
  const catalog = catalogFor(parsed, config);
  const internalErrors: string[] = [];
  const files = parsed.map((file) => ({ file, findings: lintFile(file, catalog, config, internalErrors, options) }));
  return { catalog, files, internalErrors };
}

/** Lints one parsed file against a workspace catalog. */
function lintFile(file: ParsedFile, catalog: Catalog, config: ResolvedConfig, internalErrors: string[], options: LintOptions): Finding[] {
  const steps = lintFileSteps(file, catalog, config, Infinity, Infinity, internalErrors, undefined, options);
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value.findings;
  }
}

/** The rules by id, built on first use (a file rule asks for the level of the ids a suppression names). */
let rulesById: Map<string, Rule> | undefined;
const knownRule = (id: string) => {
  if (rulesById?.size !== RULES.length) rulesById = new Map(RULES.map((r) => [r.meta.id, r] as const));
  return rulesById.get(id);
};

/**
 * Lints one parsed file in steps: it yields whenever `sliceMs` has passed since it started or last resumed, so that
 * a caller on an event loop can serve other work in between (and drop the rest when a newer edit arrives). The rules
 * stop once `budgetMs` has passed (the language server's guard against pathological input: the findings so far are
 * kept, `complete` says whether every statement was checked; the file rules run only on a complete lint).
 */
export function* lintFileSteps(
  file: ParsedFile,
  catalog: Catalog,
  config: ResolvedConfig,
  budgetMs: number,
  sliceMs: number,
  internalErrors: string[] = [],
  memo?: FindingMemo,
  options: LintOptions = {},
): Generator<void, { findings: Finding[]; complete: boolean }> {
  const fixes = fixFilter(options);
  const raw: { finding: Finding; statement: number }[] = [];
  const settings = { tenantColumn: config.tenantColumn };
  // The statement being checked and where its local rules' reports are recorded for the memo. Each rule gets one
  // context (and report function) for the whole file, pointed at the current statement before each check: a
  // file has tens of thousands of statement × rule checks, which then allocate nothing when they find nothing.
  let statement!: Statement;
  let record: MemoReport[] | undefined;
  const prepare = (rule: StatementRule, local: boolean) => {
    const ctx: RuleContext = {
      file,
      statement: undefined as unknown as Statement,
      catalog,
      settings,
      report: (r: Report) => {
        const severity = ruleLevel(rule.meta, config.rules, r.severity);
        if (severity === 'off') return;
        const message = messageOf(rule.meta, r.messageId, r.data);
        // Recorded before the host filter: the same statement text elsewhere may have its holes elsewhere.
        const m: MemoReport = { rule, report: r, message, base: statement.start };
        if (local) record?.push(m);
        if (file.host && !hostMayReport(file, rule, r)) return;
        const finding = makeFinding(file, rule, severity, r, message);
        if (r.fix && fixes?.(finding) && mayFix(file)) attachFix(file, finding, statementFix(m, statement));
        raw.push({ finding, statement: statement.index });
      },
    };
    return { rule, ctx };
  };
  const active = RULES.filter((r) => ruleLevel(r.meta, config.rules) !== 'off');
  const statementRules = active.filter((r): r is StatementRule => r.kind !== 'file');
  const local = statementRules.filter((r) => !r.crossStatement).map((r) => prepare(r, true));
  const cross = statementRules.filter((r) => r.crossStatement).map((r) => prepare(r, false));
  const run = ({ rule, ctx }: { rule: StatementRule; ctx: RuleContext }) => {
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
        const severity = ruleLevel(m.rule.meta, config.rules, shifted.severity) as Severity;
        const finding = makeFinding(file, m.rule, severity, shifted, m.message);
        if (shifted.fix && fixes?.(finding) && mayFix(file)) attachFix(file, finding, statementFix(m, statement));
        raw.push({ finding, statement: statement.index });
      }
    } else {
      record = memo ? [] : undefined;
      for (let i = 0; i < local.length; i++) run(local[i]);
      if (memo && record) memo.set(statement, record);
    }
    record = undefined;
    for (let i = 0; i < cross.length; i++) run(cross[i]);
  }
  const suppressions = findSuppressions(file);
  const { kept, uses } = applySuppressions(file, raw, suppressions);
  if (complete) {
    for (const rule of active) if (rule.kind === 'file') runFileRule(rule, file, catalog, config, settings, uses, kept, fixes, internalErrors);
  }
  return { findings: kept.sort(byPosition), complete };
}

function runFileRule(
  rule: FileRule,
  file: ParsedFile,
  catalog: Catalog,
  config: ResolvedConfig,
  settings: RuleSettings,
  suppressions: readonly SuppressionUse[],
  out: Finding[],
  fixes: ((finding: Finding) => boolean) | undefined,
  internalErrors: string[],
): void {
  const ctx: FileRuleContext = {
    file,
    catalog,
    settings,
    suppressions,
    levelOf: (id) => {
      const known = knownRule(id);
      return known && ruleLevel(known.meta, config.rules);
    },
    report: (r) => {
      const severity = ruleLevel(rule.meta, config.rules, r.severity);
      if (severity === 'off') return;
      const message = messageOf(rule.meta, r.messageId, r.data);
      const finding = makeFinding(file, rule, severity, r, message, r.inDocument);
      // Not checked against a statement: a file rule's edit (removing a comment) is outside every statement.
      if (r.fix && r.fix.edits.length > 0 && fixes?.(finding)) attachFix(file, finding, r.fix, r.inDocument);
      out.push(finding);
    },
  };
  try {
    rule.check(ctx);
  } catch (e) {
    internalErrors.push(`${rule.meta.id} failed on ${file.path}: ${(e as Error).stack ?? e}`);
  }
}

interface MemoReport {
  rule: StatementRule;
  report: Report;
  message: string;
  /** The statement's start when the report was made: its offsets move with the statement. */
  base: number;
  /** The checked fix, at `base` (null: none survives the check), once a lint asked for it. */
  checked?: Fix | null;
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

function shiftFix(f: Fix | undefined, delta: number): Fix | undefined {
  if (!f || delta === 0) return f;
  return { title: f.title, edits: f.edits.map((e) => ({ start: e.start + delta, end: e.end + delta, newText: e.newText })) };
}

/** A report made for the same statement text at another offset, moved by `delta`. */
function shiftReport(r: Report, delta: number): Report {
  if (delta === 0) return r;
  return { ...r, start: r.start + delta, end: r.end + delta, fix: shiftFix(r.fix, delta) };
}

/**
 * A statement rule's fix, checked against the statement it was reported on (now at `statement`): the check's
 * outcome is kept with the memo entry, as the same statement text gives the same outcome wherever it stands.
 */
function statementFix(m: MemoReport, statement: Statement): Fix | undefined {
  if (!m.report.fix) return undefined;
  const delta = statement.start - m.base;
  if (m.checked === undefined) {
    const spent = FIX_CHECKS.get(statement) ?? 0;
    FIX_CHECKS.set(statement, spent + 1);
    m.checked = spent < MAX_FIX_CHECKS ? (shiftFix(checkedFix(shiftFix(m.report.fix, delta), statement), -delta) ?? null) : null;
  }
  return shiftFix(m.checked ?? undefined, delta);
}

/**
 * Each fix check parses the whole edited statement, so a statement with n fixable findings costs n parses of its
 * length: quadratic in a generated statement that repeats one mistake. Past this many checks of one statement
 * the remaining findings are reported without a fix (an unchecked fix is never offered).
 */
const MAX_FIX_CHECKS = 64;
const FIX_CHECKS = new Attached<Statement, number>('fixChecks');

/**
 * In a host file, a report on a name built by host code is about code pgperf cannot see (`FROM ${table}`), and a
 * syntax error in a string whose holes read neither as names nor as values (`VALUES ${rows}`) may be theirs.
 */
function hostMayReport(file: ParsedFile, rule: StatementRule, r: Report): boolean {
  const host = file.host!;
  if (rule.rejected) return !host.holesUnreadable(r.start);
  return !host.aboutHostCode(r.start, r.end);
}

/**
 * A finding in document coordinates, without its fix. `r` is in SQL-view offsets, unless `inDocument` (a host
 * comment's suppression, found in the host text).
 */
function makeFinding(file: ParsedFile, rule: Rule, severity: Severity, r: Report, message: string, inDocument = false): Finding {
  const host = inDocument ? undefined : file.host;
  const at = host ? host.toDocument(r.start, r.end) : { start: r.start, end: r.end };
  return {
    ruleId: rule.meta.id,
    severity,
    messageId: r.messageId,
    message: host ? host.messageText(message, r.start) : message,
    file: file.path,
    start: at.start,
    end: at.end,
    range: file.document.rangeOf(at.start, at.end),
  };
}

/** Sets a finding's fix from a checked fix of the SQL view (or, `inDocument`, of the host text); none when it cannot be written in the host file. */
/** Whether a fix may still be offered in `file`: not once a host file's fix checks are out of time (checking the SQL first would be wasted). */
function mayFix(file: ParsedFile): boolean {
  return !file.host || file.host.fixTimeLeft();
}

function attachFix(file: ParsedFile, finding: Finding, fix: Fix | undefined, inDocument = false): void {
  const documentFix = fix && file.host && !inDocument ? file.host.hostFix(fix) : fix;
  if (documentFix) finding.fix = documentFix;
}

const ALL_FIXES = () => true;

function fixFilter(options: LintOptions): ((finding: Finding) => boolean) | undefined {
  const f = options.fixes;
  return f === false ? undefined : f === undefined || f === true ? ALL_FIXES : f;
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

/** Drops the findings a suppression covers, noting for each suppression the rule ids it hid. */
function applySuppressions(
  file: ParsedFile,
  raw: { finding: Finding; statement: number }[],
  suppressions: readonly Suppression[],
): { kept: Finding[]; uses: SuppressionUse[] } {
  if (suppressions.length === 0) return { kept: raw.map((r) => r.finding), uses: [] };
  const uses = suppressions.map((suppression) => ({ suppression, used: new Set<string>() }));
  const kept: Finding[] = [];
  for (const { finding, statement } of raw) {
    let hidden = false;
    const st = file.statements[statement];
    for (const u of uses) {
      if (covers(u.suppression, st) && u.suppression.rules.includes(finding.ruleId)) {
        u.used.add(finding.ruleId);
        hidden = true;
      }
    }
    if (!hidden) kept.push(finding);
  }
  return { kept, uses };
}

const byPosition = (a: Finding, b: Finding) => a.start - b.start || a.ruleId.localeCompare(b.ruleId);
