/** What a rule is: metadata for docs, SARIF and hovers, and a check that reports findings on one statement. */
import type { Catalog } from './catalog';
import type { ParsedFile, Statement } from './parse';
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

export interface RuleMeta {
  id: string;
  severity: Severity;
  fixable: boolean;
  /**
   * Off unless `.pgperf.json` turns it on (then at `severity`): for rules whose premise rests on facts the SQL
   * does not hold, such as which columns the calling code reads.
   */
  optIn?: boolean;
  docs: RuleDocs;
}

/** The level a rule reports at under `config.rules` (its configured level, else its default; 'off' when off). */
export function ruleLevel(meta: RuleMeta, configured: Record<string, SeveritySetting | undefined>, own?: Severity): SeveritySetting {
  return configured[meta.id] ?? (meta.optIn ? 'off' : (own ?? meta.severity));
}

export interface Report {
  start: number;
  end: number;
  message: string;
  /** The fix, or a function that computes it when a client first asks (code actions, JSON output). */
  fix?: Fix | (() => Fix | undefined);
  /** For rules with more than one default level (hnsw-build-params): this finding's own default. */
  severity?: Severity;
}

/** Settings a rule may read. */
export interface RuleSettings {
  tenantColumn: string;
}

export interface RuleContext {
  file: ParsedFile;
  statement: Statement;
  catalog: Catalog;
  settings: RuleSettings;
  report(r: Report): void;
}

export interface Rule {
  meta: RuleMeta;
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
  check(ctx: RuleContext): void;
}
