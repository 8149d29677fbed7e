/**
 * The rule contract: metadata (for docs, SARIF, hovers and `pgperf rules`), message templates named by id, and a
 * check that reports findings. Two kinds of rule: a statement rule checks one statement at a time; a file rule
 * checks a whole file once its statement rules' findings and suppressions are known (unused-suppression).
 */
import type { Catalog } from './catalog';
import type { ParsedFile, Statement } from './parse';
import type { Suppression } from './suppress';
import type { Fix, Severity, SeveritySetting } from './types';

export interface RuleDocs {
  /** One line: what the rule flags. */
  summary: string;
  /** Why it matters, with the tuning guide's figures. */
  why: string;
  /** What to do instead (and what the quick fix does, when there is one). */
  fix: string;
  /** SQL that fires the rule. */
  bad?: string;
  /** SQL that does not. */
  good?: string;
}

/** What a rule is about, for `pgperf rules` and the docs: a small closed set. */
export const RULE_CATEGORIES = ['locking', 'indexing', 'query', 'pgvector', 'tenancy', 'partitioning', 'correctness'] as const;
export type RuleCategory = (typeof RULE_CATEGORIES)[number];

export interface RuleMeta<M extends string = string> {
  id: string;
  category: RuleCategory;
  severity: Severity;
  fixable: boolean;
  /**
   * Off unless `.pgperf.json` turns it on (then at `severity`): for rules whose premise rests on facts the SQL
   * does not hold, such as which columns the calling code reads.
   */
  optIn?: boolean;
  docs: RuleDocs;
  /**
   * The rule's messages by id. A template's `{{name}}` is replaced by `data.name` of the report; a placeholder
   * with no value stays as written (the tester fails on it).
   */
  messages: Record<M, string>;
}

/** The level a rule reports at under `config.rules` (its configured level, else its default; 'off' when off). */
export function ruleLevel(meta: RuleMeta, configured: Record<string, SeveritySetting | undefined>, own?: Severity): SeveritySetting {
  return configured[meta.id] ?? (meta.optIn ? 'off' : (own ?? meta.severity));
}

/** The values a message template's placeholders are replaced with. */
export type MessageData = Record<string, string | number>;

export interface Report<M extends string = string> {
  /** The span, in the statement's file offsets (SQL-view offsets in a host file). */
  start: number;
  end: number;
  messageId: M;
  data?: MessageData;
  /** Plain edits; the engine offers the fix only if the edited statement still parses. */
  fix?: Fix;
  /** For rules with more than one default level (hnsw-build-params): this finding's own default. */
  severity?: Severity;
}

/** Settings a rule may read. */
export interface RuleSettings {
  tenantColumn: string;
}

export interface RuleContext<M extends string = string> {
  file: ParsedFile;
  statement: Statement;
  catalog: Catalog;
  settings: RuleSettings;
  report(r: Report<M>): void;
}

export interface StatementRule<M extends string = string> {
  kind?: 'statement';
  meta: RuleMeta<M>;
  /** True for the rule that reports the statements the parser rejected; others never see those. */
  rejected?: boolean;
  /**
   * True when the check reads other statements of the file (ctx.file.statements), so its findings cannot be
   * reused for an unchanged statement text (see FindingMemo).
   */
  crossStatement?: boolean;
  /**
   * Called for every statement the parser accepted (or, with `rejected`, every one it rejected). The context is
   * reused for the next statement: read it (and call report) during the call, do not keep it.
   */
  check(ctx: RuleContext<M>): void;
}

/** A suppression comment of the file and the rule ids it hid a finding of. */
export interface SuppressionUse {
  suppression: Suppression;
  used: ReadonlySet<string>;
}

/** A file rule's report: `inDocument` when the span is in host-file offsets (a host comment), not the SQL view. */
export interface FileReport<M extends string = string> extends Report<M> {
  inDocument?: boolean;
}

export interface FileRuleContext<M extends string = string> {
  file: ParsedFile;
  catalog: Catalog;
  settings: RuleSettings;
  /** The file's suppression comments, after the statement rules' findings were matched against them. */
  suppressions: readonly SuppressionUse[];
  /** The level a rule id reports at in this file's configuration; undefined for an id that is no pgperf rule. */
  levelOf(ruleId: string): SeveritySetting | undefined;
  report(r: FileReport<M>): void;
}

/**
 * Checked once per file, after the statement rules and suppressions. Its findings are about the file as a whole
 * (the suppression comments themselves), so no suppression hides them.
 */
export interface FileRule<M extends string = string> {
  kind: 'file';
  meta: RuleMeta<M>;
  check(ctx: FileRuleContext<M>): void;
}

export type Rule<M extends string = string> = StatementRule<M> | FileRule<M>;

/**
 * A statement rule with its message ids checked against `meta.messages` (`report({ messageId: 'typo' })` does not
 * compile). Returns the rule as given.
 */
export function defineRule<M extends string>(rule: StatementRule<M>): StatementRule<M> {
  return rule;
}

/** A file rule, likewise. */
export function defineFileRule<M extends string>(rule: FileRule<M>): FileRule<M> {
  return rule;
}

const PLACEHOLDER = /\{\{\s*(\w+)\s*\}\}/g;

/** A report's message: its template with the placeholders filled in. */
export function messageOf(meta: RuleMeta, messageId: string, data: MessageData | undefined): string {
  const template = (meta.messages as Record<string, string | undefined>)[messageId];
  if (template === undefined) throw new Error(`${meta.id} reported the message id "${messageId}", which its meta.messages does not define`);
  if (!data) return template;
  return template.replace(PLACEHOLDER, (whole, name: string) => (Object.hasOwn(data, name) ? String(data[name]) : whole));
}
