/**
 * A declarative rule tester: a rule's test file lists SQL the rule must accept (valid) and SQL it must flag
 * (invalid, with the expected findings and the text after its fixes), and ruleTester registers one vitest case each.
 * Every case runs the real engine (lintSources over a workspace of the case's files, the rule turned on when it is
 * opt-in), so a case checks what a user sees: the rule's findings after suppressions, in document coordinates.
 *
 *   ruleTester(vacuumFull, {
 *     valid: ['VACUUM sessions;', { code: 'VACUUM (FULL false) t;' }],
 *     invalid: [{ code: 'VACUUM FULL t;', errors: [{ text: 'FULL', line: 1, column: 8 }], output: null }],
 *   });
 */
import { describe, it } from 'vitest';
import { DEFAULT_CONFIG, type ResolvedConfig } from '../server/src/analysis/config';
import { lintSources } from '../server/src/analysis/engine';
import { applyEdits } from '../server/src/analysis/fix';
import { extractSql, hostErrorCount, hostLanguageOf, initEmbedded } from '../server/src/analysis/host';
import { parseSql } from '../server/src/analysis/pg';
import type { Rule } from '../server/src/analysis/rule';
import { RULES } from '../server/src/analysis/rules/index';
import { SourceText } from '../server/src/analysis/source';
import type { Finding, Fix, Severity } from '../server/src/analysis/types';

/**
 * The marker `npm run new-rule` puts in its placeholder cases: a case whose code holds it fails, so a scaffold
 * cannot pass as a finished rule.
 */
export const PLACEHOLDER = 'pgperf-new-rule: placeholder';

const MAIN = 'main.sql';

/** One expected finding of the rule. Positions are 1-based, as an editor shows them; the end is exclusive. */
export interface ExpectedError {
  /** The id in the rule's meta.messages the message was made from. */
  messageId?: string;
  /** The whole message, or a pattern it must match. */
  message?: string | RegExp;
  line?: number;
  column?: number;
  endLine?: number;
  endColumn?: number;
  /** The text the finding's range covers (in the document: the host file for SQL in code). */
  text?: string;
  severity?: Severity;
}

export interface ValidCase {
  code: string;
  /** The file the code is in (default main.sql; `src/a.ts`, `app/db.py`, … lint the SQL strings of code). */
  filename?: string;
  /** More files of the workspace (schema, earlier migrations), linted together with the case's file. */
  files?: Record<string, string>;
  /** Overrides of the default configuration (`.pgperf.json` resolved). */
  config?: Partial<ResolvedConfig>;
  /** The test's title (default: the code). */
  name?: string;
}

export interface InvalidCase extends ValidCase {
  /** Exactly the findings of the rule in the case's file, in document order; `{}` counts one without checking it. */
  errors: ExpectedError[];
  /**
   * The text after applying every fix of the rule's findings (one pass, overlapping fixes skipped), or null when no
   * finding may offer a fix. Required when a finding offers one.
   */
  output?: string | null;
}

export interface RuleTests {
  valid: (string | ValidCase)[];
  invalid: InvalidCase[];
}

/** Registers `describe(<rule id>)` with one test per case. */
export function ruleTester(rule: Rule, tests: RuleTests): void {
  const valid = tests.valid.map((c) => (typeof c === 'string' ? { code: c } : c));
  refuseDuplicates('valid', valid);
  refuseDuplicates('invalid', tests.invalid);
  describe(rule.meta.id, () => {
    describe('valid', () => {
      for (const c of valid) it(title(c), () => checkValid(rule, c));
    });
    describe('invalid', () => {
      for (const c of tests.invalid) it(title(c), () => checkInvalid(rule, c));
    });
  });
}

/** Throws unless the case yields no finding of the rule. */
export async function checkValid(rule: Rule, c: string | ValidCase): Promise<void> {
  const vc = typeof c === 'string' ? { code: c } : c;
  const { found } = await lint(rule, vc);
  if (found.length > 0) fail(`expected no ${rule.meta.id} finding, got ${found.length}:\n${list(vc.code, found)}`);
}

/** Throws unless the case yields exactly the expected findings of the rule and, with `output`, that fixed text. */
export async function checkInvalid(rule: Rule, c: InvalidCase): Promise<void> {
  if (!Array.isArray(c.errors) || c.errors.length === 0) fail('an invalid case needs at least one expected error');
  const { found, filename, cfg, files } = await lint(rule, c);
  const id = rule.meta.id;
  if (found.length !== c.errors.length) {
    fail(`expected ${c.errors.length} ${id} finding${c.errors.length === 1 ? '' : 's'}, got ${found.length}${found.length ? `:\n${list(c.code, found)}` : ''}`);
  }
  c.errors.forEach((want, i) => checkError(c.code, found[i], want, `${id} finding ${i + 1} of ${found.length}`));
  for (const f of found) checkFilled(rule, f);

  const fixes = found.map((f) => f.fix).filter((f): f is Fix => f !== undefined);
  if (c.output === undefined) {
    if (fixes.length > 0)
      fail(
        `${id} offers ${fixes.length === 1 ? 'a fix' : `${fixes.length} fixes`} here: give \`output\` (the text after the fixes), or \`output: null\` to assert there is none`,
      );
    return;
  }
  if (c.output === null) {
    if (fixes.length > 0) fail(`expected no fix, but ${id} offers ${fixes.map((f) => `"${f.title}"`).join(', ')}`);
    return;
  }
  const { text: fixed, edits, applied } = applyFixes(c.code, fixes);
  if (fixed !== c.output) fail(`the text after the fixes differs from output:\n--- output\n${c.output}\n--- fixed\n${fixed}`);
  if (fixed === c.code) return;
  checkParses(filename, c.code, fixed, edits, cfg);
  // Linted again, the fixed file has no more syntax errors than before (the engine's own view of it, templates and
  // SQL strings in code included), and each applied fix took its finding away.
  const count = (text: string, ruleId: string) =>
    lintSources(toSources({ ...files, [filename]: text }), cfg)
      .files.find((f) => f.file.path === filename)!
      .findings.filter((f) => f.ruleId === ruleId).length;
  const before = count(c.code, 'syntax-error');
  const after = count(fixed, 'syntax-error');
  if (after > before) fail(`the fixes add a syntax error (${before} before, ${after} after):\n${fixed}`);
  const left = count(fixed, id);
  if (left > found.length - applied)
    fail(`${applied} fix${applied === 1 ? '' : 'es'} applied, yet ${left} of ${found.length} ${id} findings remain:\n${fixed}`);
}

/** The test title of a case: its name, else its file (when not main.sql) and code on one line. */
function title(c: ValidCase): string {
  if (c.name) return c.name;
  const code = c.code.replace(/\s+/g, ' ').trim();
  const short = code.length > 100 ? `${code.slice(0, 99)}…` : code;
  return c.filename && c.filename !== MAIN ? `${c.filename}: ${short}` : short;
}

/** Two identical cases test nothing more than one and usually mean a copy that was meant to change. */
function refuseDuplicates(kind: string, cases: readonly ValidCase[]): void {
  const seen = new Set<string>();
  for (const c of cases) {
    const key = JSON.stringify([c.filename ?? MAIN, c.code, c.files ?? {}, c.config ?? {}]);
    if (seen.has(key)) throw new Error(`duplicate ${kind} case: ${title(c)}`);
    seen.add(key);
  }
}

function fail(message: string): never {
  throw new Error(message);
}

const toSources = (files: Record<string, string>) => Object.entries(files).map(([path, text]) => ({ path, text }));

async function lint(rule: Rule, c: ValidCase) {
  // The engine runs the registered rules only: a rule object missing from RULES would make every valid case pass.
  if (!RULES.includes(rule)) fail(`${rule.meta.id} is not registered in server/src/analysis/rules/index.ts`);
  const filename = c.filename ?? MAIN;
  const all = [c.code, ...Object.values(c.files ?? {})];
  if (all.some((t) => t.includes(PLACEHOLDER))) fail(`a placeholder case from npm run new-rule: replace it with real SQL (${PLACEHOLDER})`);
  if (c.files && filename in c.files) fail(`files must not repeat the case's own file ${filename}`);
  const files = { ...c.files, [filename]: c.code };
  if (Object.keys(files).some((p) => hostLanguageOf(p))) await initEmbedded();
  const cfg: ResolvedConfig = { ...structuredClone(DEFAULT_CONFIG), ...c.config };
  // An opt-in rule is off by default; a case tests it on, unless its config sets the rule's level itself.
  if (rule.meta.optIn && cfg.rules[rule.meta.id] === undefined) cfg.rules = { ...cfg.rules, [rule.meta.id]: rule.meta.severity };
  const result = lintSources(toSources(files), cfg);
  if (result.internalErrors.length > 0) fail(`the engine reported internal errors:\n${result.internalErrors.join('\n')}`);
  const found = result.files
    .flatMap((f) => f.findings)
    .filter((f) => f.ruleId === rule.meta.id && f.file === filename)
    .sort((a, b) => a.start - b.start || a.end - b.end);
  // Findings are in document coordinates: the range must be where the offsets are, or an editor would put the
  // squiggle elsewhere than the fix edits.
  const doc = new SourceText(c.code);
  for (const f of found) {
    const start = doc.positionAt(f.start);
    const end = doc.positionAt(f.end);
    if (
      start.line !== f.range.start.line ||
      start.character !== f.range.start.character ||
      end.line !== f.range.end.line ||
      end.character !== f.range.end.character
    ) {
      fail(`${f.ruleId} finding at offsets ${f.start}-${f.end} has range ${JSON.stringify(f.range)}, not the document's ${JSON.stringify({ start, end })}`);
    }
  }
  return { found, filename, cfg, files };
}

function describeFinding(code: string, f: Finding): string {
  const { start, end } = f.range;
  return `${start.line + 1}:${start.character + 1}-${end.line + 1}:${end.character + 1} ${JSON.stringify(code.slice(f.start, f.end))} ${f.severity}: ${f.message}`;
}

const list = (code: string, found: readonly Finding[]) => found.map((f) => `  ${describeFinding(code, f)}`).join('\n');

/** A message whose template placeholder was left as written: the report's data lacks that value. */
function checkFilled(rule: Rule, f: Finding): void {
  const template = (rule.meta.messages as Record<string, string | undefined>)[f.messageId] ?? '';
  for (const [placeholder] of template.matchAll(/\{\{\s*\w+\s*\}\}/g))
    if (f.message.includes(placeholder)) fail(`${rule.meta.id}'s message "${f.messageId}" has no value for ${placeholder}: ${f.message}`);
}

function checkError(code: string, f: Finding, want: ExpectedError, which: string): void {
  const got = {
    line: f.range.start.line + 1,
    column: f.range.start.character + 1,
    endLine: f.range.end.line + 1,
    endColumn: f.range.end.character + 1,
  };
  const wrong = (field: string, expected: unknown, actual: unknown) =>
    fail(`${which}: ${field} should be ${JSON.stringify(expected)}, is ${JSON.stringify(actual)}\n  ${describeFinding(code, f)}`);
  if (want.messageId !== undefined && f.messageId !== want.messageId) wrong('messageId', want.messageId, f.messageId);
  if (typeof want.message === 'string' && f.message !== want.message) wrong('message', want.message, f.message);
  if (want.message instanceof RegExp && !want.message.test(f.message)) wrong('message', String(want.message), f.message);
  for (const field of ['line', 'column', 'endLine', 'endColumn'] as const) {
    if (want[field] !== undefined && want[field] !== got[field]) wrong(field, want[field], got[field]);
  }
  if (want.text !== undefined && code.slice(f.start, f.end) !== want.text) wrong('text', want.text, code.slice(f.start, f.end));
  if (want.severity !== undefined && f.severity !== want.severity) wrong('severity', want.severity, f.severity);
}

/** Applies the fixes in one pass, in document order; a fix overlapping one already taken is left out. */
function applyFixes(text: string, fixes: readonly Fix[]) {
  const ordered = [...fixes].sort((a, b) => Math.min(...a.edits.map((e) => e.start)) - Math.min(...b.edits.map((e) => e.start)));
  const taken: Fix['edits'] = [];
  let end = -1;
  let applied = 0;
  for (const fix of ordered) {
    if (fix.edits.length === 0 || Math.min(...fix.edits.map((e) => e.start)) < end) continue;
    taken.push(...fix.edits);
    end = Math.max(...fix.edits.map((e) => e.end));
    applied++;
  }
  return { text: applyEdits(text, taken), edits: taken, applied };
}

/**
 * The fixed document parses: a .sql file with the real PostgreSQL parser; a host file with its own grammar (no
 * more errors than before), and every SQL string a fix edited, extracted again, with the PostgreSQL parser.
 */
function checkParses(filename: string, original: string, fixed: string, edits: Fix['edits'], cfg: ResolvedConfig): void {
  if (!hostLanguageOf(filename)) {
    const r = parseSql(fixed);
    if (!r.ok) fail(`the fixed SQL does not parse: ${r.message}\n${fixed}`);
    return;
  }
  const hostErrors = hostErrorCount(filename, fixed);
  if (hostErrors > hostErrorCount(filename, original)) fail(`the fixed ${filename} no longer parses as its language (${hostErrors} errors):\n${fixed}`);
  // Edit offsets are in the original; shift each to the fixed text to find the SQL string it landed in.
  const sorted = [...edits].sort((a, b) => a.start - b.start);
  let shift = 0;
  const at: number[] = [];
  for (const e of sorted) {
    at.push(e.start + shift);
    shift += e.newText.length - (e.end - e.start);
  }
  const strings = extractSql(filename, fixed, cfg.embedded);
  for (const offset of at) {
    const hit = strings.find((s) => s.start <= offset && offset <= s.end);
    if (!hit) fail(`after the fixes, offset ${offset} of ${filename} is in no SQL string:\n${fixed}`);
    const r = parseSql(hit.sql);
    if (!r.ok) fail(`the fixed SQL string does not parse: ${r.message}\n${hit.sql}`);
  }
}
